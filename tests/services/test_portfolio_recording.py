"""Recording, editing and deleting portfolio transactions through the service layer,
against the real database: the cache always equals a fresh replay, a broken rule names the
row and field and writes nothing."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from fiscus.domain.errors import Conflict, RuleViolation, ValidationFailed
from fiscus.domain.portfolios.model import LotPick, TransactionType
from fiscus.services.portfolios import editing, portfolios, queries, recording
from fiscus.services.portfolios.editing import TransactionChanges
from tests.conftest import _plain
from tests.services.portfolio_fixtures import orgs, portfolio, row, seed_market

BASICS = [
    row("DEPOSIT", "2024-01-02", amount="10000"),
    row("BUY", "2024-01-03", symbol="AAPL", quantity="10", price="100", fee="1", reference="b1"),
    row("BUY", "2024-02-01", symbol="AAPL", quantity="10", price="110", fee="1", reference="b2"),
    row("SELL", "2024-03-01", symbol="AAPL", quantity="5", price="120", fee="1", reference="s1"),
    row("DIVIDEND", "2024-03-15", symbol="AAPL", amount="7.50"),
    row("SPLIT", "2024-04-01", symbol="AAPL", ratio="2"),
]


async def _record(runtime, principal, portfolio_id, rows, key="k1", **kw):
    return await recording.record_transactions(
        runtime.portfolios, principal, portfolio_id, rows, idempotency_key=key, **kw
    )


async def _count(database_url: str) -> int:
    connection = await asyncpg.connect(_plain(database_url))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM portfolio_transactions"))
    finally:
        await connection.close()


async def test_a_bulk_record_replays_once_and_caches_holdings_and_cash(runtime, database_url):
    ids = await seed_market(database_url)
    o = await orgs(runtime)
    pid = await portfolio(runtime, o.principal)
    done = await _record(runtime, o.principal, pid, BASICS)
    assert len(done.transactions) == 6 and not done.replayed
    # 10000 - 1001 - 1101 + (600 - 1) + 7.50
    assert done.portfolio.cash == Decimal("8504.5")
    check = await queries.verify_holdings_cache(runtime.portfolios, o.principal, pid)
    assert check.sound, check
    (holding,) = check.cached
    assert holding.instrument_id == ids["AAPL"]
    assert holding.quantity == Decimal("30")  # 15 left, split 2:1
    # FIFO: the sale took 5 of the first lot (cost 1001 / 10 each)
    assert holding.cost_basis == Decimal("1601.5")
    seqs = [t.transaction.seq for t in done.transactions]
    assert seqs == sorted(seqs)


async def test_overselling_names_the_row_and_writes_nothing(runtime, database_url):
    await seed_market(database_url)
    o = await orgs(runtime)
    pid = await portfolio(runtime, o.principal)
    rows = [*BASICS, row("SELL", "2024-05-01", symbol="AAPL", quantity="31", price="70")]
    with pytest.raises(RuleViolation) as failure:
        await _record(runtime, o.principal, pid, rows)
    assert failure.value.code == "INSUFFICIENT_QUANTITY"
    assert failure.value.field == "transactions[6].quantity"
    assert await _count(database_url) == 0
    check = await queries.verify_holdings_cache(runtime.portfolios, o.principal, pid)
    assert check.sound and check.cached == [] and check.cached_cash == 0


async def test_cash_below_zero_without_margin_and_bad_ratio_and_closed_lot(runtime, database_url):
    await seed_market(database_url)
    o = await orgs(runtime)
    pid = await portfolio(runtime, o.principal, method="SPECIFIC")
    with pytest.raises(RuleViolation) as failure:
        await _record(
            runtime,
            o.principal,
            pid,
            [
                row("DEPOSIT", "2024-01-02", amount="100"),
                row("BUY", "2024-01-03", symbol="AAPL", quantity="10", price="100"),
            ],
        )
    assert (failure.value.code, failure.value.field) == (
        "INSUFFICIENT_CASH",
        "transactions[1].quantity",
    )
    with pytest.raises(ValidationFailed) as invalid:
        await _record(
            runtime, o.principal, pid, [row("SPLIT", "2024-01-03", symbol="AAPL", ratio="0")]
        )
    assert invalid.value.issues[0].field == "transactions[0].ratio"
    with pytest.raises(RuleViolation) as closed:
        await _record(
            runtime,
            o.principal,
            pid,
            [
                row("DEPOSIT", "2024-01-02", amount="10000"),
                row("BUY", "2024-01-03", symbol="AAPL", quantity="10", price="100"),
                row(
                    "SELL",
                    "2024-01-04",
                    symbol="AAPL",
                    quantity="1",
                    price="100",
                    lots=[LotPick("not-a-lot", Decimal(1))],
                ),
            ],
        )
    assert closed.value.code == "LOT_NOT_OPEN"
    assert closed.value.field.startswith("transactions[2].lots")
    assert await _count(database_url) == 0


async def test_the_same_key_replays_and_another_input_is_refused(runtime, database_url):
    await seed_market(database_url)
    o = await orgs(runtime)
    pid = await portfolio(runtime, o.principal)
    first = await _record(runtime, o.principal, pid, BASICS)
    again = await _record(runtime, o.principal, pid, BASICS)
    assert again.replayed
    assert [t.transaction.id for t in again.transactions] == [
        t.transaction.id for t in first.transactions
    ]
    with pytest.raises(Conflict) as reused:
        await _record(runtime, o.principal, pid, BASICS[:2])
    assert reused.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert await _count(database_url) == 6


async def test_references_are_unique_per_portfolio(runtime, database_url):
    await seed_market(database_url)
    o = await orgs(runtime)
    pid = await portfolio(runtime, o.principal)
    await _record(runtime, o.principal, pid, BASICS)
    with pytest.raises(ValidationFailed) as duplicate:
        await _record(
            runtime,
            o.principal,
            pid,
            [
                row("DEPOSIT", "2024-06-01", amount="5", reference="new"),
                row("DEPOSIT", "2024-06-01", amount="5", reference="b2"),
            ],
            key="k2",
        )
    assert [(i.field, i.code) for i in duplicate.value.issues] == [
        ("transactions[1].reference", "DUPLICATE_REFERENCE")
    ]
    with pytest.raises(ValidationFailed) as twice:
        await _record(
            runtime,
            o.principal,
            pid,
            [
                row("DEPOSIT", "2024-06-01", amount="5", reference="x"),
                row("DEPOSIT", "2024-06-02", amount="5", reference="x"),
            ],
            key="k3",
        )
    assert twice.value.issues[0].field == "transactions[1].reference"
    other = await portfolio(runtime, o.principal, name="Other")
    await _record(runtime, o.principal, other, BASICS, key="k4")  # per portfolio
    assert await _count(database_url) == 12


async def test_foreign_instruments_take_the_days_fx_rate(runtime, database_url):
    await seed_market(database_url)
    o = await orgs(runtime)
    pid = await portfolio(runtime, o.principal)
    done = await _record(
        runtime,
        o.principal,
        pid,
        [
            row("DEPOSIT", "2024-01-02", amount="1000"),
            row("BUY", "2024-01-03", symbol="SAP.DE", quantity="10", price="50"),
        ],
    )
    buy = done.transactions[1].transaction
    assert (buy.currency, buy.fx_rate) == ("EUR", Decimal("1.1"))
    assert done.portfolio.cash == Decimal("450")
    eur = await portfolio(runtime, o.principal, name="Euro", base_currency="EUR")
    with pytest.raises(ValidationFailed) as missing:
        await _record(
            runtime,
            o.principal,
            eur,
            [row("DEPOSIT", "2020-01-02", amount="1000", currency="USD")],
            key="k2",
        )
    assert (missing.value.issues[0].field, missing.value.issues[0].code) == (
        "transactions[0].date",
        "NOT_FOUND",
    )


async def test_editing_and_deleting_recompute_everything_after(runtime, database_url):
    await seed_market(database_url)
    o = await orgs(runtime)
    pid = await portfolio(runtime, o.principal)
    done = await _record(runtime, o.principal, pid, BASICS)
    first_buy = done.transactions[1].transaction
    edited = await editing.update_transaction(
        runtime.portfolios, o.principal, first_buy.id, TransactionChanges(price=Decimal("90"))
    )
    assert edited.portfolio.cash == Decimal("8604.5")
    assert (await queries.verify_holdings_cache(runtime.portfolios, o.principal, pid)).sound
    # Deleting the second buy leaves 5 units: the later sell of 5 still holds...
    second_buy = done.transactions[2].transaction
    after = await editing.delete_transaction(runtime.portfolios, o.principal, second_buy.id)
    assert after.cash == Decimal("8604.5") + Decimal("1101")
    # ... but the first buy cannot go: the sell of 5 would sell more than is held.
    with pytest.raises(RuleViolation) as refused:
        await editing.delete_transaction(runtime.portfolios, o.principal, first_buy.id)
    assert refused.value.code == "INSUFFICIENT_QUANTITY"
    assert refused.value.field == "transactionId"
    assert "SELL of 2024-03-01" in refused.value.message
    check = await queries.verify_holdings_cache(runtime.portfolios, o.principal, pid)
    assert check.sound and check.cached[0].quantity == Decimal("10")
    with pytest.raises(RuleViolation) as oversell:
        await editing.update_transaction(
            runtime.portfolios,
            o.principal,
            done.transactions[3].transaction.id,
            TransactionChanges(quantity=Decimal("11")),
        )
    assert (oversell.value.code, oversell.value.field) == ("INSUFFICIENT_QUANTITY", "quantity")


async def test_changing_the_method_replays_the_history(runtime, database_url):
    await seed_market(database_url)
    o = await orgs(runtime)
    pid = await portfolio(runtime, o.principal)
    await _record(runtime, o.principal, pid, BASICS)
    changed = await portfolios.update_portfolio(
        runtime.portfolios, o.principal, pid, portfolios.PortfolioChanges(cost_basis_method="LIFO")
    )
    assert changed.cost_basis_method.value == "LIFO"
    check = await queries.verify_holdings_cache(runtime.portfolios, o.principal, pid)
    assert check.sound
    # LIFO: the sale took 5 of the second lot (cost 1101 / 10 each)
    assert check.cached[0].cost_basis == Decimal("1551.5")
    types = {
        t.transaction.type
        for t in (await queries.histories(runtime.portfolios, o.principal, [pid]))[pid]
    }
    assert TransactionType.SPLIT in types
