"""The plain asyncpg pools (the read path's, and the write pool of one-statement units),
and beginning a transaction in a tenant context on one of their connections in one round
trip: ``BEGIN ...; SELECT set_config('app.org_id', ...), set_config('app.user_id', ...)``
(simple-query protocol, so no parameters: the values are UUIDs, rendered by ``uuid``).
The settings are transaction-local, so a pooled connection never carries them on."""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg

from fiscus.persistence.statements import note_statement

READ_ONLY = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
READ_WRITE = "BEGIN"


def begin_sql(org_id: UUID | None, user_id: UUID | None, *, begin: str) -> str:
    org = str(UUID(str(org_id))) if org_id else ""
    user = str(UUID(str(user_id))) if user_id else ""
    return (
        f"{begin}; SELECT set_config('app.org_id', '{org}', true), "
        f"set_config('app.user_id', '{user}', true)"
    )


async def acquire_in_tenant(
    pool: asyncpg.Pool, org_id: UUID | None, user_id: UUID | None, *, begin: str
) -> asyncpg.Connection:
    """A pooled connection with a transaction begun in that tenant context; the connection
    goes back to the pool if beginning fails."""
    connection: asyncpg.Connection = await pool.acquire()
    try:
        sql = begin_sql(org_id, user_id, begin=begin)
        note_statement(sql)
        await connection.execute(sql)
    except BaseException:
        await pool.release(connection)
        raise
    return connection


async def _init_connection(connection: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await connection.set_type_codec(
            name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def _reset_connection(connection: asyncpg.Connection) -> None:
    """Scopes always roll back; only a scope cut short may leave a transaction open. This
    replaces asyncpg's default reset (one more round trip per release)."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


async def open_pool(
    dsn: str, *, size: int, statement_timeout_ms: int, application_name: str
) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        min_size=0,
        max_size=size,
        init=_init_connection,
        reset=_reset_connection,
        server_settings={
            "statement_timeout": str(statement_timeout_ms),
            "application_name": application_name,
        },
    )
    return pool
