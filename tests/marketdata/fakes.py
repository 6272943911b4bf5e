"""Test doubles for the outside world: a controllable clock and a provider that fails on
command (a class implementing the provider Protocol, not a mock of the unit under test)."""

from __future__ import annotations

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
