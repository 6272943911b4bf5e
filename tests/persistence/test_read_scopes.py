"""The read path (``fiscus.persistence.reads``) over real pooled asyncpg connections: tenant
context per transaction, read-only, never carried over to the next user of a connection."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from fiscus.config import Settings
from fiscus.persistence.asyncpg_pools import open_pool
from fiscus.persistence.database import app_url
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.scope import ReadScopes
from tests.persistence.test_row_level_security import _two_orgs

WHO_AND_WHAT = ReadQuery(
    "SELECT o.id, o.name, (SELECT array_agg(DISTINCT org_id) FROM audit_events),"
    " pg_backend_pid(), txid_current_if_assigned(), current_setting('transaction_isolation')"
    " FROM organizations o",
    (),
)
TENANT_ROWS = ReadQuery(
    "SELECT (SELECT count(*) FROM organizations) + (SELECT count(*) FROM memberships)"
    " + (SELECT count(*) FROM audit_events)",
    (),
)
SNAPSHOT = ReadQuery("SELECT pg_current_snapshot()::text, pg_backend_pid()", ())


@pytest.fixture
async def one_connection(settings: Settings) -> AsyncIterator[ReadScopes]:
    """Read scopes over a pool of exactly one connection."""
    dsn = app_url(settings.database).set(drivername="postgresql")
    pool = await open_pool(
        dsn.render_as_string(hide_password=False),
        size=1,
        statement_timeout_ms=5_000,
        application_name="fiscus-test-reads",
    )
    try:
        yield ReadScopes(pool)
    finally:
        await pool.close()


async def test_alternating_tenants_on_one_read_connection_never_leak(runtime, one_connection):
    a, b = await _two_orgs(runtime)
    expected = {a.organization.id: "Org A", b.organization.id: "Org B"}
    backends = set()
    for i in range(1000):
        org_id = a.organization.id if i % 2 == 0 else b.organization.id
        async with one_connection(org_id=org_id) as reads:
            rows = await reads.identity.fetch(WHO_AND_WHAT)
        assert len(rows) == 1
        found_id, name, audit_orgs, pid, txid, isolation = rows[0]
        backends.add(pid)
        assert (found_id, name) == (org_id, expected[org_id])
        assert audit_orgs == [org_id]
        assert txid is None  # read-only: no transaction id was ever assigned
        assert isolation == "repeatable read"
    assert len(backends) == 1  # truly one connection, reused 1000 times
    async with one_connection() as reads:
        assert await reads.identity.fetchval(TENANT_ROWS) == 0


async def test_a_read_scope_refuses_writes(runtime, one_connection):
    a, _ = await _two_orgs(runtime)
    insert = ReadQuery(
        "INSERT INTO audit_events (org_id, id, action, subject_type, subject_id)"
        " VALUES ($1, gen_random_uuid(), 'x', 'x', 'x')",
        ("org_id",),
    )
    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        async with one_connection(org_id=a.organization.id) as reads:
            await reads.identity.fetch(insert, org_id=a.organization.id)


async def test_a_scope_cut_short_leaves_nothing_on_the_connection(runtime, one_connection):
    a, b = await _two_orgs(runtime)
    with pytest.raises(asyncpg.UndefinedTableError):
        async with one_connection(org_id=a.organization.id) as reads:
            await reads.identity.fetch(ReadQuery("SELECT * FROM no_such_table", ()))
    async with one_connection(org_id=b.organization.id) as reads:
        rows = await reads.identity.fetch(WHO_AND_WHAT)
    assert [(r[0], r[1]) for r in rows] == [(b.organization.id, "Org B")]
    async with one_connection() as reads:
        assert await reads.identity.fetchval(TENANT_ROWS) == 0


async def test_a_requests_reads_share_one_snapshot_and_other_tenants_get_their_own(
    runtime, one_connection
):
    a, b = await _two_orgs(runtime)
    shared = one_connection.shared(org_id=a.organization.id, user_id=a.user.id)
    try:
        async with shared(org_id=a.organization.id, user_id=a.user.id) as reads:
            first = await reads.identity.fetchrow(SNAPSHOT)
        async with shared(org_id=a.organization.id, user_id=a.user.id) as reads:
            second = await reads.identity.fetchrow(SNAPSHOT)
        assert first == second  # the same transaction, the same snapshot
    finally:
        await shared.aclose()
    # Another tenant context asked of the request's scopes is its own transaction.
    other = one_connection.shared(org_id=a.organization.id, user_id=a.user.id)
    try:
        async with other(org_id=b.organization.id, user_id=b.user.id) as reads:
            rows = await reads.identity.fetch(WHO_AND_WHAT)
        assert [(r[0], r[1]) for r in rows] == [(b.organization.id, "Org B")]
    finally:
        await other.aclose()
