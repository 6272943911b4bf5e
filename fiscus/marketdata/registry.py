"""The one provider object callers hold: picks a provider per call, falls back in order,
and puts every call through that provider's guards (``guards.ProviderGuard``).

Which provider: the ``provider=`` a call names (an instrument's ``provider`` field, see
:meth:`ProviderRegistry.provider_for`), else the configured default; then the configured
fallbacks in order (``Settings.marketdata_providers``). A provider the registry does not
hold is skipped.

What a caller gets, and what it does with it -- the contract that keeps a failing provider
from turning into an error on every query:

- an answer, with ``History.source`` naming the provider that gave it (store it);
- :class:`SymbolNotFound` when every provider tried said it does not know the symbol: a
  user error ("unknown symbol"), nothing to retry;
- :class:`ProviderUnavailable` for everything else (circuits open, rate limit past the
  deadline, timeouts, 429s, broken answers -- the last cause is chained): the provider side
  is down. Read paths then answer from stored prices with ``isStale`` set, never with an
  error; jobs retry later (arq ``Retry``); the streamer's supervisor backs off and
  reconnects. No caller retries in a loop: the breaker already decides when to try again.

``histories`` and ``quotes`` go in chunks of the provider's ``batch_size`` (one guarded
call, one token and one deadline per chunk); symbols a provider left out are asked of the
next one. ``stream`` checks the breaker before connecting and reports the connection's
first quote (success) or its failure to connect (failure) to it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from fiscus.domain.marketdata import Instrument, InstrumentProfile, Quote
from fiscus.marketdata.guards import (
    UNOBSERVED,
    CircuitBreaker,
    CircuitState,
    GuardObserver,
    GuardState,
    MonotonicClock,
    ProviderGuard,
    TokenBucket,
)
from fiscus.marketdata.providers.base import (
    History,
    MarketDataProvider,
    ProviderError,
    ProviderUnavailable,
    SymbolNotFound,
)

if TYPE_CHECKING:
    from fiscus.config import Settings

T = TypeVar("T")
DEFAULT_BATCH_SIZE = 50


class ProviderRegistry:
    name = "registry"

    def __init__(
        self,
        providers: Mapping[str, MarketDataProvider],
        guards: Mapping[str, ProviderGuard],
        order: Sequence[str],
    ) -> None:
        if not order or any(name not in providers or name not in guards for name in order):
            raise ValueError("every provider in the order needs a provider and its guards")
        self._providers = dict(providers)
        self._guards = dict(guards)
        self.order = list(order)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        providers: Mapping[str, MarketDataProvider] | None = None,
        observer: GuardObserver = UNOBSERVED,
        clock: MonotonicClock = time.monotonic,
    ) -> ProviderRegistry:
        """The configured providers (``providers`` replaces the built-in ones by name),
        each behind guards built from ``settings.marketdata``."""
        config = settings.marketdata
        order = settings.marketdata_providers
        built = dict(providers or {})
        for name in order:
            if name not in built:
                built[name] = build_provider(name, settings)
        guards: dict[str, ProviderGuard] = {}
        for name in order:
            rate, burst = config.rate_limit(name)
            guards[name] = ProviderGuard(
                name,
                bucket=TokenBucket(rate, burst, clock=clock),
                breaker=CircuitBreaker(
                    name,
                    failures=config.breaker_failures,
                    open_seconds=config.breaker_open_seconds,
                    probes=config.breaker_half_open_probes,
                    clock=clock,
                    observer=observer,
                ),
                timeout_seconds=config.call_timeout_seconds,
                observer=observer,
                clock=clock,
            )
            observer.circuit_changed(name, CircuitState.CLOSED)
        return cls(built, guards, order)

    @property
    def default(self) -> str:
        return self.order[0]

    def provider_for(self, instrument: Instrument) -> str:
        """The provider an instrument's prices come from (its own, when held here)."""
        if instrument.provider in self._providers:
            return instrument.provider
        return self.default

    def states(self) -> list[GuardState]:
        return [self._guards[name].state() for name in self.order]

    def chain(self, provider: str | None = None) -> list[str]:
        first = [provider] if provider in self._providers else []
        return [*first, *(name for name in self.order if name != provider)]

    async def _first(
        self, chain: Sequence[str], call: Callable[[MarketDataProvider], Awaitable[T]]
    ) -> T:
        not_found: SymbolNotFound | None = None
        failure: ProviderError | None = None
        for name in chain:
            provider = self._providers[name]
            try:
                return await self._guards[name].call(lambda p=provider: call(p))  # type: ignore[misc]
            except SymbolNotFound as error:
                not_found = error
            except ProviderError as error:
                failure = error
        if failure is None and not_found is not None:
            raise not_found
        raise ProviderUnavailable(f"no provider answered ({', '.join(chain)})") from failure

    async def profile(self, symbol: str, *, provider: str | None = None) -> InstrumentProfile:
        """The first provider that knows ``symbol``; the profile names it (``provider``),
        so the instrument's prices are later asked of that provider first."""

        async def ask(p: MarketDataProvider) -> InstrumentProfile:
            found = await p.profile(symbol)
            return found if found.provider else dataclasses.replace(found, provider=p.name)

        return await self._first(self.chain(provider), ask)

    async def history(
        self, symbol: str, start: date, end: date, *, provider: str | None = None
    ) -> History:
        async def ask(p: MarketDataProvider) -> History:
            history = await p.history(symbol, start, end)
            return history if history.source else History(history.bars, history.actions, p.name)

        return await self._first(self.chain(provider), ask)

    async def histories(
        self, symbols: Sequence[str], start: date, end: date, *, provider: str | None = None
    ) -> dict[str, History]:
        async def ask(p: MarketDataProvider, chunk: Sequence[str]) -> dict[str, History]:
            found = await p.histories(chunk, start, end)
            return {
                symbol: h if h.source else History(h.bars, h.actions, p.name)
                for symbol, h in found.items()
            }

        return await self._batched(symbols, provider, ask)

    async def quotes(
        self, symbols: Sequence[str], *, provider: str | None = None
    ) -> dict[str, Quote]:
        return await self._batched(symbols, provider, lambda p, chunk: p.quotes(chunk))

    async def _batched(
        self,
        symbols: Sequence[str],
        provider: str | None,
        ask: Callable[[MarketDataProvider, Sequence[str]], Awaitable[dict[str, T]]],
    ) -> dict[str, T]:
        found: dict[str, T] = {}
        pending = list(dict.fromkeys(symbols))
        failure: ProviderError | None = None
        for name in self.chain(provider):
            if not pending:
                break
            p, guard = self._providers[name], self._guards[name]
            size = max(1, int(getattr(p, "batch_size", DEFAULT_BATCH_SIZE)))
            missing: list[str] = []
            for offset in range(0, len(pending), size):
                chunk = pending[offset : offset + size]
                try:
                    answer = await guard.call(lambda p=p, chunk=chunk: ask(p, chunk))  # type: ignore[misc]
                except ProviderError as error:
                    failure = error
                    missing.extend(chunk)
                    continue
                found.update(answer)
                missing.extend(symbol for symbol in chunk if symbol not in answer)
            pending = missing
        if pending and failure is not None:
            raise ProviderUnavailable(
                f"{len(pending)} of {len(symbols)} symbols got no answer"
            ) from failure
        return found

    async def stream(
        self, symbols: Sequence[str], *, provider: str | None = None
    ) -> AsyncIterator[Quote]:
        refused: ProviderError | None = None
        for name in self.chain(provider):
            breaker = self._guards[name].breaker
            try:
                admission = breaker.admit()
            except ProviderUnavailable as error:
                refused = error
                continue
            judged = False
            try:
                async for quote in self._providers[name].stream(symbols):
                    if not judged:
                        breaker.succeeded(admission)
                        judged = True
                    yield quote
                return
            except ProviderError as error:
                if judged:
                    raise
                breaker.failed(admission)
                judged = True
                refused = error
            finally:
                if not judged:
                    breaker.released(admission)
        raise ProviderUnavailable("no provider can stream now") from refused


def build_provider(name: str, settings: Settings) -> MarketDataProvider:
    """The built-in provider called ``name``, configured from ``settings``. yfinance (and
    pandas) are imported only when it is configured."""
    config = settings.marketdata
    if name == "simulated":
        from fiscus.marketdata.providers.simulated import SimulatedProvider

        return SimulatedProvider(
            seed=config.simulated_seed, ticks_per_second=config.simulated_ticks_per_second
        )
    if name == "yfinance":
        from fiscus.marketdata.providers.yfinance_provider import YFinanceProvider

        return YFinanceProvider(
            chunk_size=config.yfinance_chunk_size,
            timeout_seconds=config.call_timeout_seconds,
            cache_dir=settings.data_dir / "yfinance",
        )
    raise ValueError(f"unknown market-data provider {name!r}")
