"""Read scopes: one read-only transaction on one pooled asyncpg connection, in one tenant
context, shared by every read of a request.

``ReadScopes(pool)`` is the process-wide factory; ``scopes(org_id=, user_id=)`` gives an
async context manager yielding ``Reads`` (the per-area read repositories). A request asks
``scopes.shared(org_id=, user_id=)`` once it knows the caller: reads in that same tenant
context then share one transaction (entered under a lock, since DataLoaders run
concurrently), and ``aclose()`` ends it. Any other context gets a transaction of its own.

The transaction starts lazily with one round trip that also sets the tenant context
(``BEGIN ... READ ONLY; SELECT set_config(...)``) and ends with ``ROLLBACK``: nothing read
here can ever be written, and a pooled connection never carries a tenant's context on.
``REPEATABLE READ`` makes every read of a request see one snapshot.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from uuid import UUID

import asyncpg

from fiscus.persistence.asyncpg_pools import READ_ONLY, acquire_in_tenant
from fiscus.persistence.reads.repositories import Reads


class ReadScope:
    """One read transaction; enter it with ``async with scope as reads``."""

    def __init__(self, pool: asyncpg.Pool, org_id: UUID | None, user_id: UUID | None) -> None:
        self._pool = pool
        self.org_id = org_id
        self.user_id = user_id
        self._connection: asyncpg.Connection | None = None
        self._reads: Reads | None = None

    async def open(self) -> Reads:
        if self._reads is None:
            connection = await acquire_in_tenant(
                self._pool, self.org_id, self.user_id, begin=READ_ONLY
            )
            self._connection = connection
            self._reads = Reads(connection, self.org_id)
        return self._reads

    async def close(self) -> None:
        connection, self._connection, self._reads = self._connection, None, None
        if connection is not None:
            try:
                await connection.execute("ROLLBACK")
            finally:
                await self._pool.release(connection)

    async def __aenter__(self) -> Reads:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class ReadScopes:
    """What services read through: a transaction of its own per call."""

    def __init__(self, pool: asyncpg.Pool | None) -> None:
        self._pool = pool

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the read pool is not open (Runtime.open opens it)")
        return self._pool

    def __call__(
        self, *, org_id: UUID | None = None, user_id: UUID | None = None
    ) -> AbstractAsyncContextManager[Reads]:
        return ReadScope(self.pool, org_id, user_id)

    def shared(self, *, org_id: UUID, user_id: UUID) -> SharedReadScopes:
        return SharedReadScopes(self.pool, org_id=org_id, user_id=user_id)

    async def aclose(self) -> None:
        """Nothing to end: every scope it gave out ended with its block."""


class SharedReadScopes(ReadScopes):
    """Reads in the given tenant context share one transaction until ``aclose()``."""

    def __init__(self, pool: asyncpg.Pool, *, org_id: UUID, user_id: UUID) -> None:
        super().__init__(pool)
        self._scope = ReadScope(pool, org_id, user_id)
        self._lock = asyncio.Lock()

    def __call__(
        self, *, org_id: UUID | None = None, user_id: UUID | None = None
    ) -> AbstractAsyncContextManager[Reads]:
        if (org_id, user_id) != (self._scope.org_id, self._scope.user_id):
            return ReadScope(self.pool, org_id, user_id)
        return _SharedEntry(self)

    async def aclose(self) -> None:
        async with self._lock:
            await self._scope.close()


class _SharedEntry:
    def __init__(self, shared: SharedReadScopes) -> None:
        self._shared = shared

    async def __aenter__(self) -> Reads:
        await self._shared._lock.acquire()
        try:
            return await self._shared._scope.open()
        except BaseException:
            self._shared._lock.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._shared._lock.release()
