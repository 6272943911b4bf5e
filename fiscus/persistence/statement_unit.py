"""Units of work whose writes are one statement, on asyncpg (``uow.statements(...)``).

A use case whose whole write is one SQL function call (the function sets the tenant
context itself, takes its locks, checks and writes) runs that call as a statement of its
own: PostgreSQL's implicit transaction around it is the use case's transaction, one round
trip, no ORM. ``commit()`` then only sends the buffered events (after the statement
succeeded, never before). A use case that must read under the same locks first asks for
``transaction=True``: the transaction begins together with the tenant context (one round
trip, as the read path does) and ``commit()`` commits it; leaving the block without
``commit()`` rolls back.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg

from fiscus.persistence.asyncpg_pools import READ_WRITE, acquire_in_tenant
from fiscus.persistence.statements import note_statement

if TYPE_CHECKING:
    from fiscus.persistence.reads.repositories import Reads
    from fiscus.persistence.repositories.imports_writes import BankImportWriter
    from fiscus.persistence.repositories.ledger_posting import LedgerPostingRepository
    from fiscus.persistence.uow import Effects

log = logging.getLogger(__name__)


class StatementUnit:
    def __init__(
        self,
        pool: asyncpg.Pool,
        effects: Effects,
        *,
        org_id: UUID | None,
        user_id: UUID | None,
        transaction: bool,
    ) -> None:
        self._pool = pool
        self._effects = effects
        self.org_id = org_id
        self.user_id = user_id
        self._transaction = transaction
        self._connection: asyncpg.Connection | None = None
        self._events: list[tuple[Any, dict[str, Any]]] = []
        self._ledger_posting: LedgerPostingRepository | None = None
        self._bank_imports: BankImportWriter | None = None

    @property
    def connection(self) -> asyncpg.Connection:
        if self._connection is None:
            raise RuntimeError("the statement unit is closed")
        return self._connection

    @property
    def ledger_posting(self) -> LedgerPostingRepository:
        if self._ledger_posting is None:
            from fiscus.persistence.repositories.ledger_posting import LedgerPostingRepository

            self._ledger_posting = LedgerPostingRepository(
                self.connection, self.org_id, self.user_id
            )
        return self._ledger_posting

    @property
    def reads(self) -> Reads:
        """The read repositories on this unit's connection (``transaction=True``: reads in
        its transaction and tenant context, taking no read-pool connection)."""
        from fiscus.persistence.reads.repositories import Reads

        return Reads(self.connection, self.org_id)

    @property
    def bank_imports(self) -> BankImportWriter:
        if self._bank_imports is None:
            from fiscus.persistence.repositories.imports_writes import BankImportWriter

            self._bank_imports = BankImportWriter(self.connection, self.org_id, self.user_id)
        return self._bank_imports

    def publish(self, channel: Any, payload: dict[str, Any]) -> None:
        self._events.append((channel, payload))

    async def __aenter__(self) -> StatementUnit:
        if self._transaction:
            connection = await acquire_in_tenant(
                self._pool, self.org_id, self.user_id, begin=READ_WRITE
            )
        else:
            connection = await self._pool.acquire()
        self._connection = connection
        return self

    async def commit(self) -> None:
        if self._transaction:
            note_statement("COMMIT")
            await self.connection.execute("COMMIT")
        await self._release()
        await self._send_effects()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._release()  # the pool's reset rolls back an open transaction

    async def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await self._pool.release(connection)

    async def _send_effects(self) -> None:
        """Every buffered event in one round trip; the commit stands whatever happens here
        (subscribers resynchronise a lost event from the database)."""
        publisher = self._effects.publisher
        events, self._events = self._events, []
        if publisher is None or not events:
            return
        try:
            await publisher.publish_many(events)
        except Exception:
            log.exception(
                "publish after commit failed",
                extra={"channels": sorted({str(channel) for channel, _ in events})},
            )
