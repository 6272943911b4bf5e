"""Group posting: concurrent single postings of one organization and user share calls of the
posting function; each still gets its own answer (posted, replayed, or its own error), and
the summaries equal the lines."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

import asyncpg
import pytest

from fiscus.domain.errors import Conflict, ValidationFailed
from fiscus.services.ledger import accounts, queries
from fiscus.services.ledger.posting import LineInput
from tests.services.ledger_fixtures import books, pair, post

ENTRIES = 60


async def _transactions(database_url: str, org_id) -> tuple[int, int]:
    """(entries, distinct transactions that wrote them) of the organization."""
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow(
            "SELECT count(*), count(DISTINCT xmin::text) FROM journal_entries WHERE org_id = $1",
            org_id,
        )
    finally:
        await connection.close()
    return row[0], row[1]


async def test_concurrent_postings_share_calls_and_the_summaries_equal_the_lines(
    runtime, database_url
):
    b = await books(runtime)
    chart = [b.codes[code] for code in ("1010", "1020", "2100", "4000", "5100", "5200")]
    rng = random.Random(7)
    expected = {account: Decimal(0) for account in chart}
    work = []
    for n in range(ENTRIES):
        debit, credit = rng.sample(chart, 2)
        amount = Decimal(rng.randint(1, 100_000)) / 100
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(120))  # four months
        work.append((n, pair(debit, credit, str(amount)), day))
        expected[debit] += amount
        expected[credit] -= amount

    results = await asyncio.gather(
        *(post(runtime, b.principal, lines, key=f"g{n}", day=day) for n, lines, day in work)
    )
    assert all(not r.replayed for r in results)
    assert len({r.entry.id for r in results}) == ENTRIES
    entries, transactions = await _transactions(database_url, b.principal.org_id)
    assert entries == ENTRIES and transactions < ENTRIES / 4, transactions
    balances = await queries.balances_as_of(runtime.ledger, b.principal, chart, date(2027, 1, 1))
    assert balances == expected
    report = await queries.check_integrity(runtime.ledger, b.principal)
    assert report.sound, report


async def test_a_member_at_fault_gets_its_own_error_and_the_others_post(runtime, database_url):
    b = await books(runtime)
    groceries, bank, rent = b.codes["5100"], b.codes["1010"], b.codes["5200"]
    first = await post(runtime, b.principal, pair(groceries, bank, "5"), key="used")
    await post(runtime, b.principal, pair(groceries, bank, "6"), key="used-other")
    await accounts.set_archived(runtime.ledger, b.principal, rent, archived=True)

    results = await asyncio.gather(
        post(runtime, b.principal, pair(groceries, bank, "1"), key="ok-1"),
        post(runtime, b.principal, pair(rent, bank, "2"), key="archived"),
        post(runtime, b.principal, pair(groceries, bank, "5"), key="used"),  # a replay
        post(runtime, b.principal, pair(groceries, bank, "7"), key="used-other"),
        post(runtime, b.principal, pair(groceries, bank, "3"), key="ok-2"),
        return_exceptions=True,
    )
    ok_1, archived, replay, reused, ok_2 = results
    assert not isinstance(ok_1, BaseException) and not ok_1.replayed
    assert not isinstance(ok_2, BaseException) and not ok_2.replayed
    assert isinstance(archived, ValidationFailed)
    assert [(i.field, i.code) for i in archived.issues] == [
        ("lines[0].accountId", "ACCOUNT_ARCHIVED")
    ]
    assert not isinstance(replay, BaseException)
    assert replay.replayed and replay.entry.id == first.entry.id
    assert isinstance(reused, Conflict)
    assert (reused.code, reused.field) == ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    entries, _ = await _transactions(database_url, b.principal.org_id)
    assert entries == 4  # used, used-other, ok-1, ok-2
    report = await queries.check_integrity(runtime.ledger, b.principal)
    assert report.sound, report


async def test_the_same_key_twice_at_once_posts_once(runtime):
    b = await books(runtime)
    lines = pair(b.codes["5100"], b.codes["1010"], "4")
    one, two = await asyncio.gather(
        post(runtime, b.principal, lines, key="twice"),
        post(runtime, b.principal, lines, key="twice"),
    )
    assert one.entry.id == two.entry.id
    assert sorted([one.replayed, two.replayed]) == [False, True]


@pytest.mark.parametrize("lines_of", ["unknown account", "other organization"])
async def test_an_account_the_chart_lacks_fails_alone(runtime, lines_of):
    b = await books(runtime)
    stranger = b.other_codes["5100"] if lines_of == "other organization" else b.codes["5100"]
    if lines_of == "unknown account":
        stranger = uuid.uuid4()
    good, bad = await asyncio.gather(
        post(runtime, b.principal, pair(b.codes["5100"], b.codes["1010"], "1"), key="good"),
        post(
            runtime,
            b.principal,
            [LineInput(stranger, Decimal(1)), LineInput(b.codes["1010"], Decimal(-1))],
            key="bad",
        ),
        return_exceptions=True,
    )
    assert not isinstance(good, BaseException)
    assert isinstance(bad, ValidationFailed)
    assert [(i.field, i.code) for i in bad.issues] == [("lines[0].accountId", "NOT_FOUND")]
