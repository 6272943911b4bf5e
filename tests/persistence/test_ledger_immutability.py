"""The database itself keeps posted entries and lines immutable for the app role
(privileges and triggers), and still lets deleteOrganization cascade through them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from fiscus.config import Settings
from fiscus.persistence.database import app_url
from fiscus.services.identity import members
from tests.services.ledger_fixtures import books, pair, post


@pytest.fixture
async def as_app(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    dsn = app_url(settings.database).set(drivername="postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    yield connection
    await connection.close()


async def _in_tenant(connection: asyncpg.Connection, org_id: uuid.UUID) -> None:
    await connection.execute("SELECT set_config('app.org_id', $1, false)", str(org_id))


async def test_posted_entries_and_lines_refuse_update_and_delete(runtime, as_app):
    b = await books(runtime)
    posted = await post(runtime, b.principal, pair(b.codes["5100"], b.codes["1010"], "9"), key="k")
    await _in_tenant(as_app, b.principal.org_id)
    entry = str(posted.entry.id)
    refused = {
        f"UPDATE journal_entries SET memo = 'changed' WHERE id = '{entry}'": "immutable",
        f"UPDATE journal_entries SET entry_date = '2020-01-01' WHERE id = '{entry}'": "immutable",
        f"DELETE FROM journal_entries WHERE id = '{entry}'": "immutable",
        "UPDATE journal_lines SET amount = 10": "permission denied",
        "DELETE FROM journal_lines": "permission denied",
        "TRUNCATE journal_lines": "permission denied",
        # A third line added to the entry later, even a balanced pair.
        "INSERT INTO journal_lines (org_id, entry_id, line_no, account_id, entry_date, amount,"
        f" currency) SELECT org_id, entry_id, line_no + 10, account_id, entry_date, -amount,"
        f" currency FROM journal_lines WHERE entry_id = '{entry}'": "same transaction",
    }
    for statement, message in refused.items():
        with pytest.raises(asyncpg.PostgresError, match=message):
            await as_app.execute(statement)
    lines = await as_app.fetch(
        "SELECT amount FROM journal_lines WHERE entry_id = $1 ORDER BY line_no", posted.entry.id
    )
    assert [str(r["amount"]) for r in lines] == ["9.0000", "-9.0000"]


async def test_the_triggers_refuse_even_the_owner_and_unbalanced_inserts(runtime, settings):
    b = await books(runtime)
    posted = await post(runtime, b.principal, pair(b.codes["5100"], b.codes["1010"], "9"), key="k")
    owner = await asyncpg.connect(
        settings.database.url.get_secret_value().replace("+asyncpg", "")  # type: ignore[union-attr]
    )
    try:
        with pytest.raises(asyncpg.PostgresError, match="immutable"):
            await owner.execute("DELETE FROM journal_lines")
        with pytest.raises(asyncpg.PostgresError, match="immutable"):
            await owner.execute("UPDATE journal_lines SET memo = 'x'")
        async with owner.transaction():
            await _in_tenant(owner, b.principal.org_id)
            entry = uuid.uuid4()
            await owner.execute(
                "INSERT INTO journal_entries (org_id, id, entry_date, status, posted_at)"
                " VALUES ($1, $2, '2026-01-01', 'posted', now())",
                b.principal.org_id,
                entry,
            )
            with pytest.raises(asyncpg.PostgresError, match="balance"):
                await owner.execute(
                    "INSERT INTO journal_lines (org_id, entry_id, line_no, account_id,"
                    " entry_date, amount, currency) VALUES ($1, $2, 0, $3, '2026-01-01', 5,"
                    " 'EUR')",
                    b.principal.org_id,
                    entry,
                    b.codes["1010"],
                )
    finally:
        await owner.close()
    assert posted.entry.id


async def test_deleting_the_organization_cascades_through_posted_entries(runtime, as_app):
    b = await books(runtime)
    await post(runtime, b.principal, pair(b.codes["5100"], b.codes["1010"], "9"), key="k")
    await post(runtime, b.other, pair(b.other_codes["5100"], b.other_codes["1010"], "9"), key="k")
    await members.delete_organization(runtime.identity, principal=b.principal, confirm_name="Org A")
    for org, expected in ((b.principal.org_id, 0), (b.other.org_id, 2)):
        await _in_tenant(as_app, org)
        assert await as_app.fetchval("SELECT count(*) FROM journal_lines") == expected
        assert await as_app.fetchval("SELECT count(*) FROM journal_entries") == expected // 2
        assert await as_app.fetchval("SELECT count(*) FROM ledger_account_days") == expected


async def test_the_app_role_cannot_insert_unbalanced_or_foreign_lines(runtime, as_app):
    """The insert check (one statement since migration 0010) holds for the app role's own
    INSERTs, whatever the posting function does: the lines an INSERT adds to an entry posted
    by this transaction balance per currency; lines of an entry it did not post are refused."""
    b = await books(runtime)
    posted = await post(runtime, b.principal, pair(b.codes["5100"], b.codes["1010"], "9"), key="k")
    org, bank = b.principal.org_id, b.codes["1010"]
    entry_sql = (
        "INSERT INTO journal_entries (org_id, id, entry_date, status, posted_at)"
        " VALUES ($1, $2, '2026-01-01', 'posted', now())"
    )
    lines_sql = (
        "INSERT INTO journal_lines (org_id, entry_id, line_no, account_id, entry_date, amount,"
        " currency) SELECT $1, $2, n, $3, '2026-01-01', a, 'EUR'"
        " FROM unnest($4::smallint[], $5::numeric[]) AS t(n, a)"
    )

    async def attempt(entry: uuid.UUID | None, amounts: list[int]) -> None:
        async with as_app.transaction():
            await _in_tenant(as_app, org)
            if entry is None:
                entry = uuid.uuid4()
                await as_app.execute(entry_sql, org, entry)
            await as_app.execute(
                lines_sql, org, entry, bank, list(range(10, 10 + len(amounts))), amounts
            )

    for amounts in ([5], [5, -4], [5, -5, 1]):
        with pytest.raises(asyncpg.PostgresError, match="balance"):
            await attempt(None, amounts)
    with pytest.raises(asyncpg.PostgresError, match="same transaction"):
        await attempt(posted.entry.id, [1, -1])
    await attempt(None, [5, -5])  # balanced, into an entry of this transaction: accepted
