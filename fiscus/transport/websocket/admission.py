"""Authentication under a reconnect storm: bounded, coalesced session checks.

After a deploy every client reconnects at once; each ``connection_init`` and each new
subscription confirms the caller against the database. Two things keep that cheap:
- at most ``concurrency`` checks run at once (the rest wait their turn, FIFO, holding no
  connection; a socket that goes away while waiting costs nothing);
- identical checks already in flight are shared: the sockets of one session (browser tabs,
  a client that reconnects twice) wait for one answer instead of asking again. Only
  *concurrent* checks are shared, nothing is cached: a check that starts after another
  finished asks the database again, so a revocation applies to the next operation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from fiscus.domain.identity import Principal


class Admission:
    def __init__(
        self,
        authenticate: Callable[[dict[str, Any]], Awaitable[Principal]],
        revalidate: Callable[[Principal], Awaitable[Principal | None]],
        *,
        concurrency: int,
    ) -> None:
        self._authenticate = authenticate
        self._revalidate = revalidate
        self._slots = asyncio.Semaphore(max(concurrency, 1))
        self._in_flight: dict[Hashable, asyncio.Future[Any]] = {}
        self.checks = 0
        self.shared = 0

    async def authenticate(self, params: dict[str, Any]) -> Principal:
        """``params`` is the ``connection_init`` payload; the check depends only on its
        ``authorization`` value."""
        key = ("init", params.get("authorization"), params.get("Authorization"))
        principal: Principal = await self._once(key, lambda: self._authenticate(params))
        return principal

    async def revalidate(self, principal: Principal) -> Principal | None:
        key = ("live", principal.session_id, principal.user_id, principal.org_id, principal.role)
        current: Principal | None = await self._once(key, lambda: self._revalidate(principal))
        return current

    async def _once(self, key: Hashable, check: Callable[[], Awaitable[Any]]) -> Any:
        """The check runs in its own task, so a caller that goes away (its socket closed)
        cancels neither the others' answer nor a transaction half-way."""
        running = self._in_flight.get(key)
        if running is None:
            running = asyncio.ensure_future(self._checked(check))
            self._in_flight[key] = running
            running.add_done_callback(lambda done: self._forget(key, done))
        else:
            self.shared += 1
        return await asyncio.shield(running)

    async def _checked(self, check: Callable[[], Awaitable[Any]]) -> Any:
        async with self._slots:
            self.checks += 1
            return await check()

    def _forget(self, key: Hashable, done: asyncio.Future[Any]) -> None:
        if self._in_flight.get(key) is done:
            del self._in_flight[key]
        if not done.cancelled():
            done.exception()  # retrieved: every waiter re-raises it
