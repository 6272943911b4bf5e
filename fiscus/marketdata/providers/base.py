"""The one interface every market-data provider implements.

Providers speak domain types (``fiscus.domain.marketdata``): Decimal prices converted once
at the edge with ``to_price``; dates as the exchange writes them. Every method may raise
:class:`ProviderError` (or a subclass); the registry's guards turn repeated failures into an
open circuit, and callers then serve stored, stale-flagged data instead of failing.

Blocking libraries (yfinance) must not run on the caller's event loop: an adapter runs them
in a thread (``asyncio.to_thread``) or the caller runs the adapter in a worker process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable

from fiscus.domain.marketdata import CorporateAction, DailyBar, InstrumentProfile, Quote


class ProviderError(Exception):
    """The provider failed (network, parsing, unexpected answer)."""


class ProviderRateLimited(ProviderError):
    """The provider said "too many requests" (HTTP 429, yfinance's YFRateLimitError)."""


class ProviderUnavailable(ProviderError):
    """Not called: the circuit is open, or the rate limiter's wait would exceed the call's
    timeout."""


class SymbolNotFound(ProviderError):
    """The provider does not know this symbol (not a failure of the provider)."""


@dataclass(frozen=True, slots=True)
class History:
    """Unadjusted daily bars and the corporate actions over a date range."""

    bars: Sequence[DailyBar]
    actions: Sequence[CorporateAction]
    source: str | None = None
    """The provider that answered (the registry may have fallen back to another one):
    store it as the prices' source."""


@runtime_checkable
class MarketDataProvider(Protocol):
    name: str
    """Stable identifier stored with every price it supplies ("yfinance", "simulated")."""

    async def profile(self, symbol: str) -> InstrumentProfile:
        """What the provider knows of ``symbol``; SymbolNotFound when nothing."""
        ...

    async def history(self, symbol: str, start: date, end: date) -> History:
        """Daily bars (unadjusted) and actions with ``start <= day <= end``."""
        ...

    async def histories(self, symbols: Sequence[str], start: date, end: date) -> dict[str, History]:
        """Several symbols at once (providers batch; chunking is the adapter's job). A
        symbol the provider does not know is absent from the result."""
        ...

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Latest quotes; symbols without one are absent."""
        ...

    def stream(self, symbols: Sequence[str]) -> AsyncIterator[Quote]:
        """Live quotes for ``symbols`` until the iterator is closed. May end or raise when
        the connection drops: the streamer's supervisor reconnects and re-subscribes."""
        ...
