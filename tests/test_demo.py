"""`fiscus demo`: the demo account watches the simulated market with ten years of history
and keeps two years of household books that every statement shows."""

from __future__ import annotations

import time
from datetime import date, timedelta

import asyncpg

from fiscus.config import Settings
from fiscus.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from fiscus.domain.identity import Principal
from fiscus.domain.ledger.statements import Interval, Statement, StatementKind
from fiscus.marketdata.providers.simulated import CATALOGUE
from fiscus.runtime import Runtime
from fiscus.services.identity.auth import log_in
from fiscus.services.ledger import queries, statements
from tests.conftest import _plain


async def test_the_demo_watches_the_simulated_market_with_ten_years_of_history(
    settings: Settings, database_url: str
):
    assert await seed_demo(settings, backfill_now=True) is True
    connection = await asyncpg.connect(_plain(database_url))
    try:
        rows = await connection.fetch(
            "SELECT i.symbol, i.kind, count(p.day) AS days, min(p.day) AS first,"
            " max(p.day) AS last FROM instrument_watches w"
            " JOIN instruments i ON i.id = w.instrument_id"
            " LEFT JOIN daily_prices p ON p.instrument_id = i.id GROUP BY i.symbol, i.kind"
        )
    finally:
        await connection.close()
    assert {r["symbol"] for r in rows} == set(CATALOGUE)
    assert {r["kind"] for r in rows} >= {"equity", "etf", "crypto", "currency"}
    for row in rows:
        # Ten years back, or since the instrument was listed (ETH-USD: 2017).
        ten_years_ago = row["last"].replace(year=row["last"].year - 10)
        expected_first = max(ten_years_ago, CATALOGUE[row["symbol"]].listed)
        assert (row["first"] - expected_first).days <= 7, row["symbol"]
        assert row["days"] >= 0.68 * (row["last"] - row["first"]).days, row["symbol"]
    # One backtest stored for the demo organization, run by the same code as the worker's.
    connection = await asyncpg.connect(_plain(database_url))
    try:
        backtests = await connection.fetch(
            "SELECT status, jsonb_array_length(summary->'strategies') AS strategies,"
            " error FROM backtests"
        )
    finally:
        await connection.close()
    assert [(b["status"], b["strategies"], b["error"]) for b in backtests] == [
        ("SUCCEEDED", 3, None)
    ]
    assert await seed_demo(settings, backfill_now=True) is False  # already there


def _total(statement: Statement, key: str) -> tuple:
    return next(line.amounts for line in statement.lines if line.key == key)


async def _statement(
    runtime: Runtime, owner: Principal, kind: StatementKind, from_day: date, to_day: date
) -> Statement:
    request = statements.StatementRequest(kind, from_day, to_day, Interval.MONTH)
    return await statements.build_statement(runtime.ledger, owner, request)


async def test_the_demo_keeps_two_years_of_household_books(settings: Settings, database_url: str):
    started = time.perf_counter()
    assert await seed_demo(settings, backfill_now=False) is True
    seeded = time.perf_counter() - started
    runtime = await Runtime.open(settings)
    try:
        session = await log_in(
            runtime.identity,
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            organization_id=None,
            client_address=None,
        )
        owner = runtime.identity.tokens.decode(session.access_token)
        today = runtime.ledger.clock().date()
        chart = await queries.accounts(runtime.ledger, owner)
        assert {a.code for a in chart} >= {"1010", "1020", "2000", "4000", "5010", "5100"}
        report = await queries.check_integrity(runtime.ledger, owner)
        assert report.sound, report
        assert await queries.assertions(runtime.ledger, owner, failing_only=False)
        assert not await queries.assertions(runtime.ledger, owner, failing_only=True)

        two_years = today - timedelta(days=730)
        trial = await _statement(runtime, owner, StatementKind.TRIAL_BALANCE, two_years, today)
        assert _total(trial, "total_debits") == _total(trial, "total_credits")
        assert _total(trial, "total_debits")[-1] > 0
        sheet = await _statement(runtime, owner, StatementKind.BALANCE_SHEET, two_years, today)
        assert _total(sheet, "total_asset") == _total(sheet, "total_liabilities_and_equity")
        assert _total(sheet, "total_asset")[-1] > 0

        await _the_demo_plans(runtime, owner, today)

        # The last twelve whole months.
        month_end = today.replace(day=1) - timedelta(days=1)
        last_year = date(month_end.year - 1, month_end.month, 1) + timedelta(days=31)
        last_year = last_year.replace(day=1)
        pnl = await _statement(runtime, owner, StatementKind.INCOME_STATEMENT, last_year, month_end)
        assert len(pnl.columns) == 12
        assert all(amount > 0 for amount in _total(pnl, "total_income"))
        assert all(amount > 0 for amount in _total(pnl, "total_expense"))
        cash = await _statement(
            runtime, owner, StatementKind.CASH_FLOW_DIRECT, last_year, month_end
        )
        assert any(_total(cash, "net_change_in_cash"))
    finally:
        await runtime.close()
    assert seeded < 30, seeded  # a few seconds on a quiet machine
    connection = await asyncpg.connect(_plain(database_url))
    try:
        count = "SELECT count(*) FROM journal_entries"
        entries = await connection.fetchval(count)
        assert entries > 300
        assert await seed_demo(settings, backfill_now=False) is False
        assert await connection.fetchval(count) == entries  # nothing added twice
    finally:
        await connection.close()


async def test_the_demo_keeps_two_portfolios_with_dividends_and_a_split(settings: Settings):
    from fiscus.domain.portfolios.model import TransactionType
    from fiscus.services.portfolios import queries as portfolio_queries

    assert await seed_demo(settings, backfill_now=False) is True
    runtime = await Runtime.open(settings)
    try:
        session = await log_in(
            runtime.identity,
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            organization_id=None,
            client_address=None,
        )
        owner = runtime.identity.tokens.decode(session.access_token)
        found = await portfolio_queries.all_portfolios(runtime.portfolios, owner)
        assert [(p.name, p.base_currency) for p in found] == [
            ("Brokerage (USD)", "USD"),
            ("Europe (EUR)", "EUR"),
        ]
        histories = await portfolio_queries.histories(
            runtime.portfolios, owner, [p.id for p in found]
        )
        today = runtime.portfolios.clock().date()
        for portfolio in found:
            history = [s.transaction for s in histories[portfolio.id]]
            kinds = {t.type for t in history}
            assert {TransactionType.DEPOSIT, TransactionType.BUY, TransactionType.SELL} <= kinds
            assert TransactionType.DIVIDEND in kinds, portfolio.name
            assert (today - min(t.date for t in history)).days > 3 * 365
            assert portfolio.cash > 0
            check = await portfolio_queries.verify_holdings_cache(
                runtime.portfolios, owner, portfolio.id
            )
            assert check.sound and len(check.cached) >= 3, check
        usd = [s.transaction for s in histories[found[0].id]]
        assert any(t.type is TransactionType.SPLIT for t in usd)
    finally:
        await runtime.close()


async def _the_demo_plans(runtime: Runtime, owner: Principal, today: date) -> None:
    """A mortgage, a car loan and two cards; budgets with one over its threshold; two goals
    about half-way."""
    from fiscus.services.budgets import status
    from fiscus.services.debts import queries as debts
    from fiscus.services.goals import progress

    ctx = runtime.planning
    found = await debts.debts_page(ctx, owner, status=None, after=None, limit=10)
    assert sorted(d.kind.value for d in found) == [
        "auto_loan",
        "credit_card",
        "credit_card",
        "home_loan",
    ]
    paid = await debts.payments_of(ctx, owner, [d.id for d in found])
    assert all(len(paid[d.id]) == 1 for d in found)
    budgets = await status.budgets_page(ctx, owner, after=None, limit=10)
    statuses = await status.statuses(ctx, owner, [b.id for b in budgets], today)
    crossed = {b.name for b in budgets if statuses[b.id].threshold_crossed}
    assert "Housing" in crossed and len(budgets) == 4
    goals = await progress.goals_page(ctx, owner, after=None, limit=10)
    found_progress = await progress.progress(ctx, owner, [g.id for g in goals])
    assert len(goals) == 2
    assert all(25 <= p.percent <= 75 for p in found_progress.values()), found_progress


async def test_the_demo_has_imported_its_checking_statement_with_rules_and_suggestions(
    settings: Settings, database_url: str
):
    assert await seed_demo(settings, backfill_now=False) is True
    connection = await asyncpg.connect(_plain(database_url))
    try:
        imports = await connection.fetch(
            "SELECT status, created_count FROM bank_imports ORDER BY created_at"
        )
        sources = dict(
            await connection.fetch("SELECT category_source, count(*) FROM bank_lines GROUP BY 1")
        )
        model = await connection.fetchrow("SELECT labels, accuracy FROM categorization_models")
        rules = await connection.fetchval("SELECT count(*) FROM categorization_rules")
    finally:
        await connection.close()
    assert [r["status"] for r in imports] == ["done", "done"]
    assert all(r["created_count"] > 0 for r in imports)
    assert rules == 6
    assert sources["rule"] > 100 and sources.get("suggestion", 0) > 0
    assert model is not None and model["labels"] > 100 and model["accuracy"] is not None
