"""A supervised live stream: any provider's ``stream(symbols)`` kept alive.

The supervisor opens ``provider.stream`` for the *current* symbol set and hands each quote
to ``on_quote``. It replaces the connection when:
- the symbol set changes (re-subscribe with the new set, at once);
- the stream ends or raises (reconnect after a jittered exponential backoff, reset once a
  connection delivered a message);
- no message arrived for ``stale_after`` seconds while symbols are subscribed (the stale
  watchdog: a dead socket that yfinance's own reconnect would keep forever).

``clock``/``sleep``/``random`` are injectable for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random as random_module
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence

from fiscus.domain.marketdata import Quote

logger = logging.getLogger(__name__)

OpenStream = Callable[[Sequence[str]], AsyncIterator[Quote]]
OnQuote = Callable[[Quote], Awaitable[None]]


class StreamSupervisor:
    def __init__(
        self,
        open_stream: OpenStream,
        on_quote: OnQuote,
        *,
        stale_after: float = 60.0,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = random_module.random,
    ) -> None:
        self._open = open_stream
        self._on_quote = on_quote
        self._stale_after = stale_after
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._clock = clock
        self._sleep = sleep
        self._random = random
        self._symbols: frozenset[str] = frozenset()
        self._changed = asyncio.Event()
        self._last_message = clock()
        self._delivered_since_open = False
        self.connections = 0
        self.failures = 0
        self.stale_replacements = 0
        self.quotes = 0

    @property
    def symbols(self) -> frozenset[str]:
        return self._symbols

    def set_symbols(self, symbols: Iterable[str]) -> None:
        new = frozenset(symbols)
        if new != self._symbols:
            self._symbols = new
            self._changed.set()

    async def run(self) -> None:
        """Runs until cancelled."""
        backoff = self._min_backoff
        while True:
            if not self._symbols:
                self._changed.clear()
                await self._changed.wait()
                continue
            outcome = await self._connect_once(sorted(self._symbols))
            if outcome == "changed":
                continue
            if outcome == "delivered":
                backoff = self._min_backoff
            delay = backoff * (0.5 + self._random())
            backoff = min(backoff * 2, self._max_backoff)
            await self._sleep(delay)

    async def _connect_once(self, symbols: list[str]) -> str:
        """One connection's life: 'changed' (re-subscribe now), 'delivered' (it worked for
        a while, then ended or went stale) or 'failed' (nothing came through)."""
        self._changed.clear()
        self.connections += 1
        delivered = False
        self._last_message = self._clock()
        stream = self._open(symbols)
        reader = asyncio.ensure_future(self._read(stream))
        changed = asyncio.ensure_future(self._changed.wait())
        try:
            while True:
                idle = self._clock() - self._last_message
                timeout = max(self._stale_after - idle, 0.0)
                done, _ = await asyncio.wait(
                    {reader, changed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                delivered = delivered or self._delivered_since_open
                if changed in done:
                    return "changed"
                if reader in done:
                    error = reader.exception()
                    if error is not None:
                        logger.warning("live stream failed (%s); reconnecting", error)
                    else:
                        logger.info("live stream ended; reconnecting")
                    self.failures += 1
                    return "delivered" if delivered else "failed"
                if self._clock() - self._last_message >= self._stale_after:
                    logger.warning("live stream silent for %.0f s; replacing it", self._stale_after)
                    self.stale_replacements += 1
                    return "delivered" if delivered else "failed"
        finally:
            for task in (reader, changed):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            with contextlib.suppress(asyncio.CancelledError):
                await changed
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()

    async def _read(self, stream: AsyncIterator[Quote]) -> None:
        self._delivered_since_open = False
        async for quote in stream:
            self._last_message = self._clock()
            self._delivered_since_open = True
            if quote.symbol in self._symbols:
                try:
                    await self._on_quote(quote)
                except Exception:
                    logger.exception("could not handle a live quote for %s", quote.symbol)
                self.quotes += 1
