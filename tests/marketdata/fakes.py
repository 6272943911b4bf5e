"""Test doubles for the outside world: a controllable clock, a provider that fails on command
and a live-price provider under test control (classes implementing the provider Protocol,
not mocks of the unit under test)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from fiscus.domain.marketdata import DailyBar, InstrumentKind, InstrumentProfile, Quote
from fiscus.marketdata.providers.base import History, ProviderError, SymbolNotFound


class FakeClock:
    """Monotonic seconds that move only when told; ``sleep`` advances them."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class FlakyProvider:
    """Answers with one bar per symbol, or raises ``failure`` while it is set."""

    def __init__(self, name: str, *, known: Sequence[str] = ("AAPL", "MSFT")) -> None:
        self.name = name
        self.known = set(known)
        self.failure: Exception | None = None
        self.calls = 0

    def _answer(self, symbol: str) -> None:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        if symbol not in self.known:
            raise SymbolNotFound(symbol)

    async def profile(self, symbol: str) -> InstrumentProfile:
        self._answer(symbol)
        return InstrumentProfile(symbol, symbol, InstrumentKind.EQUITY, "USD", "NMS", 2)

    async def history(self, symbol: str, start: date, end: date) -> History:
        self._answer(symbol)
        return History([DailyBar(start, Decimal("10.00"))], [], source=self.name)

    async def histories(self, symbols: Sequence[str], start: date, end: date) -> dict[str, History]:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        return {
            s: History([DailyBar(start, Decimal("10.00"))], [], source=self.name)
            for s in symbols
            if s in self.known
        }

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        at = datetime(2026, 1, 2, tzinfo=UTC)
        return {s: Quote(s, Decimal("10.00"), None, None, at) for s in symbols if s in self.known}

    async def stream(self, symbols: Sequence[str]) -> AsyncIterator[Quote]:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        for symbol in symbols:
            yield Quote(symbol, Decimal("10.00"), None, None, datetime(2026, 1, 2, tzinfo=UTC))


def provider_error(message: str = "boom") -> ProviderError:
    return ProviderError(message)


def quote(symbol: str, price: str, *, previous: str | None = "100", volume: int = 1000) -> Quote:
    return Quote(
        symbol=symbol,
        price=Decimal(price),
        previous_close=None if previous is None else Decimal(previous),
        day_volume=volume,
        at=datetime.now(UTC),
    )


class _End:
    pass


class FakeStreamProvider:
    """``stream(symbols)`` opens a connection; ``push`` sends a quote to every open
    connection subscribed to its symbol; ``drop`` ends them (a dropped socket); ``mute``
    makes them silent forever (a dead socket that never says so)."""

    name = "fake"

    def __init__(self) -> None:
        self.opened: list[list[str]] = []
        self.closed = 0
        self._connections: list[tuple[frozenset[str], asyncio.Queue[Quote | _End]]] = []
        self.muted = False
        self.connected = asyncio.Event()

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    def stream(self, symbols: Sequence[str]) -> AsyncIterator[Quote]:
        return self._stream(list(symbols))

    async def _stream(self, symbols: list[str]) -> AsyncIterator[Quote]:
        queue: asyncio.Queue[Quote | _End] = asyncio.Queue()
        entry = (frozenset(symbols), queue)
        self.opened.append(symbols)
        self._connections.append(entry)
        self.connected.set()
        try:
            while True:
                item = await queue.get()
                if isinstance(item, _End):
                    return
                yield item
        finally:
            self._connections.remove(entry)
            self.closed += 1

    def push(self, item: Quote) -> int:
        """Quotes delivered (to open, unmuted connections watching the symbol)."""
        if self.muted:
            return 0
        targets = [queue for symbols, queue in self._connections if item.symbol in symbols]
        for queue in targets:
            queue.put_nowait(item)
        return len(targets)

    def drop(self) -> None:
        for _, queue in self._connections:
            queue.put_nowait(_End())

    async def wait_subscribed(self, symbols: set[str], timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a test helper
        async def subscribed() -> None:
            while not any(symbols <= opened for opened, _ in self._connections):  # noqa: ASYNC110
                await asyncio.sleep(0.01)

        await asyncio.wait_for(subscribed(), timeout)
