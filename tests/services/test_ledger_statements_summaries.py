"""Statements and balances read whole months from ``ledger_account_months`` and the edge
days from ``ledger_account_days``: whatever the columns, they equal the sums of the lines;
the month summary follows every INSERT of lines and ``check_integrity`` catches a drift."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import asyncpg

from fiscus.domain.ledger.statements import Interval, split_periods
from fiscus.persistence.reads.ledger import StatementReads, SumsRequest
from fiscus.services.ledger import queries, statements
from tests.conftest import _plain
from tests.services.ledger_fixtures import books, pair, post

START = date(2025, 11, 1)


async def _posted(runtime, b) -> list[tuple[date, dict]]:
    rng = random.Random(12)
    codes = ["1010", "1020", "2000", "4000", "5010", "5100", "3000"]
    posted = []
    for n in range(60):
        day = START + timedelta(days=rng.randrange(190))
        debit, credit = rng.sample(codes, 2)
        amount = f"{rng.randrange(100, 90_000) / 100:.2f}"
        await post(
            runtime,
            b.principal,
            pair(b.codes[debit], b.codes[credit], amount),
            key=f"e{n}",
            day=day,
        )
        posted.append((day, {b.codes[debit]: Decimal(amount), b.codes[credit]: -Decimal(amount)}))
    return posted


def _expected(posted, bounds: list[date], since: date) -> dict[tuple, Decimal]:
    found: dict[tuple, Decimal] = {}
    for day, moves in posted:
        if not since <= day < bounds[-1]:
            continue
        column = sum(1 for b in bounds if b <= day) - 1
        for account, amount in moves.items():
            key = (account, column)
            found[key] = found.get(key, Decimal(0)) + amount
    return {k: v for k, v in found.items() if v}


async def test_statement_sums_equal_the_lines_whatever_the_columns(runtime):
    b = await books(runtime)
    posted = await _posted(runtime, b)
    cases = [
        (date(2026, 1, 1), date(2026, 3, 31), Interval.MONTH),  # whole months
        (date(2025, 12, 17), date(2026, 4, 9), Interval.MONTH),  # both ends mid-month
        (date(2026, 2, 3), date(2026, 2, 20), Interval.MONTH),  # inside one month
        (date(2025, 11, 20), date(2026, 5, 14), Interval.QUARTER),
        (date(2026, 1, 31), date(2026, 3, 1), Interval.YEAR),
    ]
    async with runtime.ledger.reading(b.principal.org_id, b.principal.user_id) as reads:
        sums = StatementReads.of(reads.ledger)
        for from_day, to_day, interval in cases:
            columns = split_periods(from_day, to_day, interval)
            bounds = [p.start for p in columns] + [columns[-1].end + timedelta(days=1)]
            for since in (date.min, from_day):
                request = SumsRequest(bounds=bounds, since=since, to_day=to_day, currency="EUR")
                got = {
                    (s.account_id, s.column): s.amount
                    for s in await sums.statement_sums(request)
                    if s.amount
                }
                assert got == _expected(posted, bounds, since), (from_day, to_day, since)


async def test_balances_as_of_any_day_equal_the_lines(runtime):
    b = await books(runtime)
    posted = await _posted(runtime, b)
    ids = list(b.codes.values())
    for day in [START - timedelta(days=1), date(2025, 12, 31), date(2026, 1, 1)] + [
        START + timedelta(days=n) for n in range(3, 200, 17)
    ]:
        expected = {a: Decimal(0) for a in ids}
        for when, moves in posted:
            if when <= day:
                for account, amount in moves.items():
                    expected[account] += amount
        assert await queries.balances_as_of(runtime.ledger, b.principal, ids, day) == expected
        one = await statements.account_balance(runtime.ledger, b.principal, b.codes["1010"], day)
        assert one == {"EUR": expected[b.codes["1010"]]}, day


async def test_the_month_summary_follows_the_lines_and_a_drift_is_caught(
    runtime, database_url: str
):
    b = await books(runtime)
    await _posted(runtime, b)
    report = await queries.check_integrity(runtime.ledger, b.principal)
    assert report.sound and not report.month_mismatches, report
    owner = await asyncpg.connect(_plain(database_url))
    try:
        months = await owner.fetchval(
            "SELECT count(*) FROM ledger_account_months WHERE org_id = $1", b.principal.org_id
        )
        assert months > 10
        drifted = await owner.fetchval(
            "UPDATE ledger_account_months SET amount_sum = amount_sum + 1"
            " WHERE org_id = $1 AND account_id = $2 AND month = (SELECT max(month)"
            " FROM ledger_account_months WHERE org_id = $1 AND account_id = $2) RETURNING month",
            b.principal.org_id,
            b.codes["1010"],
        )
        assert drifted is not None
    finally:
        await owner.close()
    report = await queries.check_integrity(runtime.ledger, b.principal)
    assert not report.sound
    assert [(m[0], m[2]) for m in report.month_mismatches] == [(b.codes["1010"], drifted)]
