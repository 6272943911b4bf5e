"""The organization dashboard through the real app: every portfolio with its holdings, each
holding's instrument, price and figures, in a constant number of SQL statements however
many portfolios and holdings, with the domain's numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fiscus.domain.portfolios import holdings as domain_holdings
from fiscus.persistence.statements import count_statements
from fiscus.services.portfolios import queries
from fiscus.services.portfolios.portfolios import create_portfolio
from fiscus.services.portfolios.recording import record_transactions
from tests.api.test_portfolio_valuation import principal_of
from tests.graphql_client import gql, sign_up
from tests.services.portfolio_fixtures import END, close_on, row, seed_market

DASHBOARD = """query { portfolios(first: 20) { edges { node { id name baseCurrency cash
  holdings { quantity costBasis averageCost marketValue unrealizedGain dayChange
    dayChangePercent weight price priceAsOf previousClose fxRate priced
    instrument { id symbol name currency } } } } } }"""
SYMBOLS = ("AAPL", "MSFT", "SAP.DE")
"""Two USD equities and a EUR one (valued through the EUR/USD pair)."""


async def add_portfolios(runtime: Any, principal: Any, count: int, start: int) -> None:
    for n in range(start, start + count):
        created = await create_portfolio(
            runtime.portfolios, principal, name=f"P{n:02d}", base_currency="USD"
        )
        buys = [
            row("BUY", "2024-03-01", symbol=s, quantity=str(3 + n + i), price="10")
            for i, s in enumerate(SYMBOLS[: 1 + n % len(SYMBOLS)])
        ]
        await record_transactions(
            runtime.portfolios,
            principal,
            created.id,
            [row("DEPOSIT", "2024-02-01", amount="100000"), *buys],
            idempotency_key=f"seed-{n}",
        )


async def dashboard_statements(client: Any, token: str) -> tuple[int, dict[str, Any]]:
    await gql(client, DASHBOARD, token=token)  # the process's caches warm, as in use
    with count_statements() as log:
        body = await gql(client, DASHBOARD, token=token)
    assert "errors" not in body, body
    return log.count, body


def holdings_count(body: dict[str, Any]) -> int:
    return sum(len(e["node"]["holdings"]) for e in body["data"]["portfolios"]["edges"])


async def test_the_dashboard_costs_the_same_statements_however_many_portfolios_and_holdings(
    client, runtime, database_url
):
    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com")
    principal = principal_of(owner)
    await add_portfolios(runtime, principal, 3, start=0)
    few, small = await dashboard_statements(client, owner.token)
    await add_portfolios(runtime, principal, 9, start=3)
    many, large = await dashboard_statements(client, owner.token)
    assert holdings_count(small) == 6 and holdings_count(large) == 24
    assert few == many
    # Pinned: the read transaction begun with the tenant context (1); the access check,
    # which reads the caller too (1); the page of portfolios with every portfolio's
    # holdings, their instruments and closes (1: the resolver sees `holdings` asked for);
    # the EUR/USD rate (1).
    assert many == 4


async def test_a_cold_dashboard_costs_the_same_statements_as_a_warm_one(
    client, runtime, database_url
):
    """Valuations are remembered by their inputs: the first answer (computing every
    valuation) and the next (all remembered) read the same."""
    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com")
    await add_portfolios(runtime, principal_of(owner), 4, start=0)
    with count_statements() as cold:
        first = await gql(client, DASHBOARD, token=owner.token)
    with count_statements() as warm:
        second = await gql(client, DASHBOARD, token=owner.token)
    assert first == second
    assert cold.count == warm.count == 4


async def test_the_dashboard_shows_the_domains_numbers(client, runtime, database_url):
    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com")
    principal = principal_of(owner)
    await add_portfolios(runtime, principal, 3, start=0)
    body = await gql(client, DASHBOARD, token=owner.token)
    assert "errors" not in body, body

    portfolios = await queries.all_portfolios(runtime.portfolios, principal)
    books = await queries.books(runtime.portfolios, principal, portfolios)
    symbol_of = await _symbols(runtime, principal)
    latest, previous = END, date.fromordinal(END.toordinal() - 1)
    checked = 0
    for edge in body["data"]["portfolios"]["edges"]:
        node = edge["node"]
        portfolio = next(p for p in portfolios if p.name == node["name"])
        replayed = books[portfolio.id]
        assert Decimal(node["cash"]) == replayed.cash
        prices = {
            p.instrument_id: close_on(symbol_of[p.instrument_id], latest)
            for p in replayed.positions
        }
        before = {
            p.instrument_id: close_on(symbol_of[p.instrument_id], previous)
            for p in replayed.positions
        }
        rates = {
            p.instrument_id: Decimal("1.10000")
            if symbol_of[p.instrument_id] == "SAP.DE"
            else Decimal(1)
            for p in replayed.positions
        }
        expected = domain_holdings(
            replayed, prices_today=prices, prices_previous=before, fx_today=rates
        )
        by_symbol = {h["instrument"]["symbol"]: h for h in node["holdings"]}
        assert len(by_symbol) == len(expected)
        for value in expected:
            shown = by_symbol[symbol_of[value.instrument_id]]
            assert Decimal(shown["quantity"]) == value.quantity
            assert Decimal(shown["costBasis"]) == value.cost_basis
            assert Decimal(shown["averageCost"]) == value.average_cost
            assert Decimal(shown["marketValue"]) == value.market_value
            assert Decimal(shown["unrealizedGain"]) == value.unrealized_gain
            assert Decimal(shown["weight"]) == value.weight
            assert Decimal(shown["dayChange"]) == value.day_change
            assert Decimal(shown["dayChangePercent"]) == value.day_change_percent
            assert Decimal(shown["price"]) == value.price
            assert Decimal(shown["fxRate"]) == rates[value.instrument_id]
            assert Decimal(shown["previousClose"]) == before[value.instrument_id]
            assert shown["priceAsOf"] == latest.isoformat()
            assert shown["priced"] is True
            checked += 1
        values = [Decimal(h["marketValue"]) for h in node["holdings"]]
        assert values == sorted(values, reverse=True)  # largest first
    assert checked == 6


async def _symbols(runtime: Any, principal: Any) -> dict[Any, str]:
    from fiscus.services.marketdata import queries as marketdata

    found = await marketdata.instruments_by_symbols(runtime.marketdata, principal, list(SYMBOLS))
    return {instrument.id: symbol for symbol, instrument in found.items()}


async def test_a_manual_instrument_is_priced_by_the_organizations_own_prices(
    client, runtime, database_url
):
    import asyncpg

    from tests.api.test_tenant_isolation import raw_uuid
    from tests.conftest import _plain
    from tests.persistence.test_marketdata_reads import insert_manual

    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com", org="Org A")
    other = await sign_up(client, "other@example.com", org="Org B")
    org, user = raw_uuid(owner.org_id), raw_uuid(owner.user_id)
    house = await insert_manual(database_url, org, user, "HOUSE")
    theirs = await insert_manual(
        database_url, raw_uuid(other.org_id), raw_uuid(other.user_id), "HOUSE"
    )
    connection = await asyncpg.connect(_plain(database_url))
    try:
        for instrument, org_id, user_id, closes in (
            (house, org, user, ("250000", "260000")),
            (theirs, raw_uuid(other.org_id), raw_uuid(other.user_id), ("1", "2")),
        ):
            await connection.executemany(
                "INSERT INTO manual_prices (org_id, instrument_id, day, close, source,"
                " entered_by) VALUES ($1, $2, $3, $4, 'manual', $5)",
                [
                    (org_id, instrument, date(2024, 6, 1), Decimal(closes[0]), user_id),
                    (org_id, instrument, date(2024, 9, 1), Decimal(closes[1]), user_id),
                ],
            )
    finally:
        await connection.close()
    created = await create_portfolio(
        runtime.portfolios, principal_of(owner), name="Home", base_currency="EUR"
    )
    await record_transactions(
        runtime.portfolios,
        principal_of(owner),
        created.id,
        [
            row("DEPOSIT", "2024-01-02", amount="300000"),
            row("BUY", "2024-01-03", symbol="HOUSE", quantity="1", price="240000"),
        ],
        idempotency_key="home",
    )
    body = await gql(client, DASHBOARD, token=owner.token)
    assert "errors" not in body, body
    (holding,) = body["data"]["portfolios"]["edges"][0]["node"]["holdings"]
    assert holding["instrument"]["symbol"] == "HOUSE"
    assert Decimal(holding["price"]) == Decimal("260000")  # A's own price, not B's
    assert Decimal(holding["previousClose"]) == Decimal("250000")
    assert holding["priceAsOf"] == "2024-09-01"
    assert Decimal(holding["marketValue"]) == Decimal("260000")
    assert Decimal(holding["dayChange"]) == Decimal("10000")
    assert Decimal(holding["fxRate"]) == 1
