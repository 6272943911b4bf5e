"""The streamer: one active process owns the provider's live stream for the union of the
symbols clients watch on every replica, and publishes each quote.

``run`` loops forever: while it holds the lease (``Lease``) it polls the interest union
(``InterestSource``), keeps a :class:`StreamSupervisor` subscribed to it and renews the
lease; when a renewal fails it stops streaming at once and waits as a standby, trying to
take the lease again every ``renew_seconds``. Redis, the broker and the provider are
injected (this layer imports neither ``fiscus.realtime`` nor the services).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from fiscus.domain.marketdata import Quote
from fiscus.marketdata.streaming import OpenStream, StreamSupervisor

logger = logging.getLogger(__name__)

PublishQuote = Callable[[Quote], Awaitable[None]]


class Lease(Protocol):
    async def acquire(self) -> bool: ...

    async def renew(self) -> bool: ...

    async def release(self) -> None: ...


class InterestSource(Protocol):
    async def symbols(self) -> frozenset[str]: ...


class Streamer:
    def __init__(
        self,
        open_stream: OpenStream,
        interest: InterestSource,
        lease: Lease,
        publish: PublishQuote,
        *,
        poll_seconds: float = 0.5,
        renew_seconds: float = 3.0,
        stale_after: float = 60.0,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._open = open_stream
        self._interest = interest
        self._lease = lease
        self._publish = publish
        self._poll = poll_seconds
        self._renew_every = renew_seconds
        self._stale_after = stale_after
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._clock = clock
        self._sleep = sleep
        self.active = False
        self.terms = 0
        self.supervisor: StreamSupervisor | None = None
        self.became_active = asyncio.Event()

    async def run(self) -> None:
        while True:
            try:
                acquired = await self._lease.acquire()
            except Exception as error:
                logger.warning("streamer: could not reach the lease (%s)", error)
                acquired = False
            if acquired:
                await self._lead()
            await self._sleep(self._renew_every)

    async def _lead(self) -> None:
        supervisor = StreamSupervisor(
            self._open,
            self._publish,
            stale_after=self._stale_after,
            min_backoff=self._min_backoff,
            max_backoff=self._max_backoff,
            clock=self._clock,
            sleep=self._sleep,
        )
        self.supervisor = supervisor
        streaming = asyncio.create_task(supervisor.run(), name="streamer-supervisor")
        self.active = True
        self.terms += 1
        self.became_active.set()
        logger.info("streamer: active (lease taken)")
        try:
            renew_at = self._clock() + self._renew_every
            while not streaming.done():
                try:
                    supervisor.set_symbols(await self._interest.symbols())
                except Exception as error:
                    logger.warning("streamer: could not read the interest (%s)", error)
                if self._clock() >= renew_at:
                    if not await self._renewed():
                        return
                    renew_at = self._clock() + self._renew_every
                await self._sleep(self._poll)
            streaming.result()
        finally:
            self.active = False
            self.became_active.clear()
            streaming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await streaming
            with contextlib.suppress(Exception):
                await self._lease.release()

    async def _renewed(self) -> bool:
        try:
            if await self._lease.renew():
                return True
            logger.warning("streamer: lease lost to another streamer; standing by")
        except Exception as error:
            logger.warning("streamer: could not renew the lease (%s); standing by", error)
        return False
