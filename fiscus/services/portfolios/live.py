"""Live valuations: one engine per process values each watched portfolio once per batch of
ticks, however many subscribers watch it.

For every portfolio with at least one local watcher the engine keeps its ``MarkInputs``
(the holdings cache, stored closes and FX rates, read once) and the newest tick of each of
its provider-backed instruments, through ONE hub subscription per symbol shared by every
portfolio holding it. A tick marks the portfolios holding that symbol dirty. A flush values
each dirty portfolio once (``marks.value_portfolio``) and hands the same valuation to all
of its watchers (a one-slot box each: a slow watcher gets the newest valuation, never a
backlog). Flushes are at least ``interval`` apart, so a portfolio is revalued at most
``1 / interval`` times a second; a tick arriving when the engine is idle is flushed at once.

The portfolio's ``changed`` channel (``channels.portfolio``, published after commit by every
change to its transactions) makes the engine read the inputs again and revalue; symbols it
no longer holds are released, new ones subscribed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from uuid import UUID

from fiscus.observability import metrics
from fiscus.realtime import channels
from fiscus.realtime.broker import Broker
from fiscus.realtime.hub import Hub
from fiscus.services.marketdata.live import LiveQuote, live_quotes
from fiscus.services.portfolios.marks import MarkInputs, PortfolioValuation, value_portfolio

logger = logging.getLogger(__name__)

LoadInputs = Callable[[UUID, UUID], Awaitable[MarkInputs | None]]
"""``(org_id, portfolio_id)`` -> the portfolio's inputs, or None when that organization
has no such portfolio."""

DEFAULT_INTERVAL_SECONDS = 0.15
_YIELD_EVERY = 16


class PortfolioNotFound(Exception):
    """The organization has no portfolio with that id."""


class ValuationStream:
    """One watcher's view: the newest valuation, then each newer one."""

    def __init__(self) -> None:
        self._latest: PortfolioValuation | None = None
        self._delivered: PortfolioValuation | None = None
        self._ready = asyncio.Event()
        self._closed = False

    def offer(self, valuation: PortfolioValuation) -> None:
        self._latest = valuation
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    def __aiter__(self) -> AsyncIterator[PortfolioValuation]:
        return self

    async def __anext__(self) -> PortfolioValuation:
        while True:
            if self._closed:
                raise StopAsyncIteration
            latest = self._latest
            if latest is not None and latest is not self._delivered:
                self._delivered = latest
                return latest
            self._ready.clear()
            await self._ready.wait()


class _Watched:
    def __init__(self, org_id: UUID, portfolio_id: UUID) -> None:
        self.org_id = org_id
        self.portfolio_id = portfolio_id
        self.streams: set[ValuationStream] = set()
        self.inputs: MarkInputs | None = None
        self.symbols: set[str] = set()
        self.latest: PortfolioValuation | None = None
        self.loaded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.changes: asyncio.Task[None] | None = None


class _Symbol:
    def __init__(self) -> None:
        self.portfolios: set[_Watched] = set()
        self.quote: LiveQuote | None = None
        self.reader: asyncio.Task[None] | None = None


class PortfolioValuations:
    def __init__(
        self,
        hub: Hub,
        broker: Broker,
        load: LoadInputs,
        *,
        interval: float = DEFAULT_INTERVAL_SECONDS,
    ) -> None:
        self._hub = hub
        self._broker = broker
        self._load = load
        self._interval = interval
        self._watched: dict[tuple[UUID, UUID], _Watched] = {}
        self._symbols: dict[str, _Symbol] = {}
        self._dirty: set[_Watched] = set()
        self._wake = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._last_flush = 0.0
        self.computations = 0
        """Portfolio valuations computed since start (one per dirty portfolio per flush)."""

    async def start(self) -> None:
        self._flusher = asyncio.create_task(self._flush_loop(), name="portfolio-valuations")

    async def stop(self) -> None:
        tasks = [self._flusher] if self._flusher else []
        for watched in self._watched.values():
            for stream in watched.streams:
                stream.close()
            if watched.changes is not None:
                tasks.append(watched.changes)
        tasks.extend(s.reader for s in self._symbols.values() if s.reader is not None)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._watched.clear()
        self._symbols.clear()
        self._flusher = None

    def watch(self, org_id: UUID, portfolio_id: UUID) -> _Watch:
        """``async with engine.watch(org, id) as valuations: async for v in valuations``;
        entering raises PortfolioNotFound when the organization has no such portfolio."""
        return _Watch(self, org_id, portfolio_id)

    @property
    def watched_portfolios(self) -> int:
        return len(self._watched)

    # -- watchers -------------------------------------------------------------------------

    async def _attach(self, org_id: UUID, portfolio_id: UUID) -> ValuationStream:
        key = (org_id, portfolio_id)
        watched = self._watched.get(key)
        stream = ValuationStream()
        if watched is None:
            watched = _Watched(org_id, portfolio_id)
            self._watched[key] = watched
            watched.streams.add(stream)
            watched.changes = asyncio.create_task(self._follow_changes(watched))
        else:
            watched.streams.add(stream)
        try:
            await asyncio.shield(watched.loaded)
        except BaseException:
            self._detach(watched, stream)
            raise
        if watched.latest is not None:
            stream.offer(watched.latest)
        return stream

    def _detach(self, watched: _Watched, stream: ValuationStream) -> None:
        stream.close()
        watched.streams.discard(stream)
        key = (watched.org_id, watched.portfolio_id)
        if watched.streams or self._watched.get(key) is not watched:
            return
        del self._watched[key]
        self._dirty.discard(watched)
        if watched.changes is not None:
            watched.changes.cancel()
        self._set_symbols(watched, set())

    async def _follow_changes(self, watched: _Watched) -> None:
        """Subscribed before the first read, so no change committed after it is missed."""
        channel = channels.portfolio(watched.org_id, watched.portfolio_id)
        try:
            async with self._hub.subscribe(channel, replay_snapshot=False) as changes:
                await self._reload(watched)
                if not watched.loaded.done():
                    watched.loaded.set_result(None)
                async for _ in changes:
                    # Several changes committed in a burst: one read covers them all.
                    while changes.pending:
                        await anext(changes)
                    await self._reload(watched)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if not watched.loaded.done():
                watched.loaded.set_exception(error)
            else:
                logger.exception("Live valuation of portfolio %s stopped", watched.portfolio_id)
                for stream in list(watched.streams):
                    stream.close()

    async def _reload(self, watched: _Watched) -> None:
        inputs = await self._load(watched.org_id, watched.portfolio_id)
        if inputs is None:
            raise PortfolioNotFound(str(watched.portfolio_id))
        watched.inputs = inputs
        self._set_symbols(watched, set(inputs.live_symbols))
        # The first valuation already uses the newest ticks: their snapshots in one round
        # trip (the hub replays the same snapshots; older sequence numbers are ignored).
        unknown = [s for s in watched.symbols if self._symbols[s].quote is None]
        for symbol, quote in (await live_quotes(self._broker, unknown)).items():
            state = self._symbols.get(symbol)
            if state is not None and (state.quote is None or quote.seq > state.quote.seq):
                state.quote = quote
        self._value(watched)

    # -- ticks ----------------------------------------------------------------------------

    def _set_symbols(self, watched: _Watched, wanted: set[str]) -> None:
        for symbol in watched.symbols - wanted:
            state = self._symbols.get(symbol)
            if state is None:
                continue
            state.portfolios.discard(watched)
            if not state.portfolios:
                del self._symbols[symbol]
                if state.reader is not None:
                    state.reader.cancel()
        for symbol in wanted - watched.symbols:
            state = self._symbols.get(symbol)
            if state is None:
                state = _Symbol()
                self._symbols[symbol] = state
                state.reader = asyncio.create_task(self._read_ticks(symbol, state))
            state.portfolios.add(watched)
        watched.symbols = wanted

    async def _read_ticks(self, symbol: str, state: _Symbol) -> None:
        try:
            async with self._hub.subscribe(channels.price(symbol)) as ticks:
                async for envelope in ticks:
                    quote = LiveQuote.from_envelope(envelope)
                    if state.quote is not None and quote.seq <= state.quote.seq:
                        continue
                    state.quote = quote
                    self._dirty.update(state.portfolios)
                    self._wake.set()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Live prices of %s stopped for portfolio valuations", symbol)

    # -- valuing --------------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        while True:
            await self._wake.wait()
            wait = self._last_flush + self._interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._wake.clear()
            dirty, self._dirty = self._dirty, set()
            self._last_flush = time.monotonic()
            for n, watched in enumerate(dirty, start=1):
                try:
                    self._value(watched)
                except Exception:
                    logger.exception("Valuing portfolio %s failed", watched.portfolio_id)
                if n % _YIELD_EVERY == 0:
                    # Let the executions serialise and the sockets write what is valued so
                    # far instead of holding the loop for the whole batch.
                    await asyncio.sleep(0)

    def _value(self, watched: _Watched) -> None:
        if watched.inputs is None or not watched.streams:
            return
        live = {
            symbol: state.quote
            for symbol in watched.symbols
            if (state := self._symbols.get(symbol)) is not None and state.quote is not None
        }
        valuation = value_portfolio(watched.inputs, live)
        self.computations += 1
        metrics.portfolio_valuations.inc()
        self._dirty.discard(watched)
        watched.latest = valuation
        for stream in watched.streams:
            stream.offer(valuation)


class _Watch:
    def __init__(self, engine: PortfolioValuations, org_id: UUID, portfolio_id: UUID) -> None:
        self._engine = engine
        self._key = (org_id, portfolio_id)
        self._stream: ValuationStream | None = None

    async def __aenter__(self) -> ValuationStream:
        self._stream = await self._engine._attach(*self._key)
        return self._stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        watched = self._engine._watched.get(self._key)
        if self._stream is not None and watched is not None:
            self._engine._detach(watched, self._stream)
        elif self._stream is not None:
            self._stream.close()
