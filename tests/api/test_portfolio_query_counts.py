"""Statements per request stay constant as portfolios, transactions, holdings and lots grow."""

from __future__ import annotations

from typing import Any

from tests.api import portfolio_operations as pf
from tests.api.test_query_counts import statements_for
from tests.graphql_client import sign_up
from tests.services.portfolio_fixtures import seed_market

PORTFOLIOS = """{ portfolios(first: 5) { edges { node { name cash
  holdings { instrument { symbol } quantity marketValue dayChange }
  lots(open: true) { id acquiredOn quantity instrument { symbol } }
  transactions(first: 20) { edges { node { type date instrument { symbol } } } }
  income(first: 10) { amount instrument { symbol } }
} } } }"""
SUMMARY = """{ organizationPortfolioSummary(from: "2024-06-01", to: "2024-12-31") {
  currency portfolios performance { endValue twr } } }"""
GAINS = """{ portfolios(first: 5) { edges { node {
  realizedGains(first: 10) { gain transaction { reference } instrument { symbol } }
} } } }"""


def _history(n: int, symbols: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [{"type": "DEPOSIT", "date": "2024-01-02", "amount": "1000000"}]
    for i in range(n):
        symbol = symbols[i % len(symbols)]
        day = f"2024-{1 + i % 11:02d}-{10 + i % 17:02d}"
        rows.append(
            {
                "type": "BUY",
                "date": day,
                "symbol": symbol,
                "quantity": "3",
                "price": "10",
                "reference": f"b{i}",
            }
        )
        if i % 3 == 2:
            rows.append(
                {
                    "type": "SELL",
                    "date": "2024-12-20",
                    "symbol": symbol,
                    "quantity": "1",
                    "price": "12",
                    "reference": f"s{i}",
                }
            )
        if i % 4 == 1:
            rows.append(
                {"type": "DIVIDEND", "date": "2024-12-21", "symbol": symbol, "amount": "1.25"}
            )
    return rows


async def _portfolios(client: Any, token: str, start: int, count: int, size: int) -> None:
    for n in range(start, start + count):
        pid = await pf.create(client, token, f"P{n}")
        symbols = ["AAPL", "MSFT", "SAP.DE"][: 3 - n % 3]
        done = await pf.record(client, token, pid, _history(size, symbols), key=f"k{n}")
        assert done["__typename"] == "RecordPortfolioTransactionsSuccess", done


async def test_portfolios_with_holdings_lots_and_transactions_use_constant_statements(
    client, database_url
):
    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com")
    await _portfolios(client, owner.token, 0, 1, 3)
    few = await statements_for(client, PORTFOLIOS, owner.token)
    few_gains = await statements_for(client, GAINS, owner.token)
    few_summary = await statements_for(client, SUMMARY, owner.token)
    await _portfolios(client, owner.token, 1, 4, 30)
    many = await statements_for(client, PORTFOLIOS, owner.token)
    many_gains = await statements_for(client, GAINS, owner.token)
    many_summary = await statements_for(client, SUMMARY, owner.token)
    assert few_summary == many_summary
    # begin, access check, the portfolios, their histories, their instruments, closes, the
    # FX pairs into every base currency (all in USD here: nothing to convert them with).
    assert many_summary == 7
    assert few == many
    assert few_gains == many_gains
    # begin with the tenant context, access check, the page of portfolios; holdings: the
    # cache rows, their instruments, their closes, the FX pairs; the histories (lots and
    # income); the transaction pages; the instruments named by lots, transactions, income.
    assert many == 10
    # begin, access check, the page, the histories, the gains' transactions, instruments.
    assert many_gains == 6
