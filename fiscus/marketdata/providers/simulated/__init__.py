"""The simulated provider: a deterministic market for the demo, the tests and offline
development (see ``market`` for how prices move and ``catalogue`` for what is listed)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime

from fiscus.domain.marketdata import InstrumentProfile, Quote
from fiscus.marketdata.guards import Sleep
from fiscus.marketdata.providers.base import History, SymbolNotFound
from fiscus.marketdata.providers.simulated.catalogue import CATALOGUE, SimulatedSymbol
from fiscus.marketdata.providers.simulated.market import SimulatedSeries, TickWalk

__all__ = ["CATALOGUE", "SimulatedProvider", "SimulatedSymbol"]

Now = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SimulatedProvider:
    """Prices up to and including today (``now``'s UTC date); never a future bar."""

    name = "simulated"
    batch_size = 500

    def __init__(
        self,
        *,
        seed: int = 12,
        ticks_per_second: float = 1.0,
        now: Now = _utcnow,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if ticks_per_second <= 0:
            raise ValueError("ticks_per_second must be > 0")
        self._extending = threading.Lock()  # series() runs in threads (history())
        self.seed = seed
        self.ticks_per_second = ticks_per_second
        self._now = now
        self._sleep = sleep
        self._series: dict[str, SimulatedSeries] = {}

    def _spec(self, symbol: str) -> SimulatedSymbol:
        spec = CATALOGUE.get(symbol.strip().upper())
        if spec is None:
            raise SymbolNotFound(f"simulated: no symbol {symbol!r}")
        return spec

    def series(self, symbol: str, through: date | None = None) -> SimulatedSeries:
        spec = self._spec(symbol)
        with self._extending:
            series = self._series.get(spec.symbol)
            if series is None:
                series = self._series[spec.symbol] = SimulatedSeries(spec, self.seed)
            series.extend_to(min(through or date.max, self._now().astimezone(UTC).date()))
        return series

    async def profile(self, symbol: str) -> InstrumentProfile:
        spec = self._spec(symbol)
        return InstrumentProfile(
            symbol=spec.symbol,
            name=spec.name,
            kind=spec.kind,
            currency=spec.currency,
            exchange=spec.exchange,
            price_precision=spec.precision,
        )

    async def history(self, symbol: str, start: date, end: date) -> History:
        # Years of a random walk in Decimal: CPU work, kept off the event loop (in embedded
        # mode the worker shares the API's loop).
        series = await asyncio.to_thread(self.series, symbol, end)
        return History(
            bars=[bar for bar in series.bars if start <= bar.day <= end],
            actions=[action for action in series.actions if start <= action.day <= end],
            source=self.name,
        )

    async def histories(self, symbols: Sequence[str], start: date, end: date) -> dict[str, History]:
        found: dict[str, History] = {}
        for symbol in symbols:
            if symbol.strip().upper() in CATALOGUE:
                found[symbol] = await self.history(symbol, start, end)
        return found

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """The latest daily close, against the one before it."""
        found: dict[str, Quote] = {}
        at = self._now()
        for symbol in symbols:
            if symbol.strip().upper() not in CATALOGUE:
                continue
            bars = self.series(symbol).bars
            if not bars:
                continue
            previous = bars[-2].close if len(bars) > 1 else None
            found[symbol] = Quote(symbol, bars[-1].close, previous, bars[-1].volume, at)
        return found

    async def stream(self, symbols: Sequence[str]) -> AsyncIterator[Quote]:
        """``ticks_per_second`` quotes per symbol per second, each symbol walking from its
        last daily close. Unknown symbols (or not yet listed) are skipped."""
        started = int(self._now().timestamp())
        walks: list[tuple[str, TickWalk]] = []
        for symbol in dict.fromkeys(symbols):
            if symbol.strip().upper() not in CATALOGUE:
                continue
            bars = self.series(symbol).bars
            if bars:
                walks.append(
                    (symbol, TickWalk.start(self._spec(symbol), self.seed, started, bars[-1].close))
                )
        interval = 1 / self.ticks_per_second
        while walks:
            for symbol, walk in walks:
                price, volume = walk.step()
                yield Quote(symbol, price, walk.previous_close, volume, self._now())
            await self._sleep(interval)
