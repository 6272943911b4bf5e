"""10,000 transactions: recorded in one call with one INSERT and one replay (as many
statements as 100 rows), and recomputed (a new cost-basis method) away from the event
loop: /health, on a real uvicorn server, keeps answering within 50 ms meanwhile. The time
the bulk record takes is measured by bench/portfolio_record.py."""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx

from fiscus.persistence.statements import count_statements
from tests.api import portfolio_operations as pf
from tests.graphql_client import gql, sign_up
from tests.live_server import LiveServer
from tests.services.portfolio_fixtures import seed_market

UPDATE = """mutation($input: UpdatePortfolioInput!) { updatePortfolio(input: $input) {
  __typename ... on PortfolioSuccess { portfolio { costBasisMethod cash } }
  ... on UserError { code field message } } }"""
LEAN_RECORD = """mutation($input: RecordPortfolioTransactionsInput!) {
  recordPortfolioTransactions(input: $input) { __typename
    ... on RecordPortfolioTransactionsSuccess { recorded }
    ... on UserError { code field message } } }"""
CHECK = "query($id: ID!) { portfolio(id: $id) { cash holdings { quantity costBasis } } }"


def big_history(count: int) -> list[dict[str, Any]]:
    """A deposit, then buys, sells and dividends of two instruments over 2024."""
    rows: list[dict[str, Any]] = [{"type": "DEPOSIT", "date": "2024-01-02", "amount": "9000000"}]
    start = date(2024, 1, 3)
    for i in range(count - 1):
        day = (start + timedelta(days=i * 360 // count)).isoformat()
        symbol = ("AAPL", "MSFT")[i % 2]
        price = str(Decimal(100 + i % 37) + Decimal(i % 100) / 100)
        if i % 5 == 4:
            rows.append(
                {
                    "type": "SELL",
                    "date": day,
                    "symbol": symbol,
                    "quantity": "1",
                    "price": price,
                    "fee": "0.5",
                    "reference": f"r{i}",
                }
            )
        elif i % 11 == 10:
            rows.append({"type": "DIVIDEND", "date": day, "symbol": symbol, "amount": "3.10"})
        else:
            rows.append(
                {
                    "type": "BUY",
                    "date": day,
                    "symbol": symbol,
                    "quantity": "2",
                    "price": price,
                    "fee": "1",
                    "reference": f"r{i}",
                }
            )
    return rows


async def test_a_bulk_record_costs_the_same_statements_for_100_or_10_000_rows(
    client: httpx.AsyncClient, database_url: str
) -> None:
    """One INSERT for all rows and one replay: the statement count does not grow."""
    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com")
    counts = []
    for size in (100, 10_000):
        pid = await pf.create(client, owner.token, f"P{size}")
        variables = {
            "input": {
                "portfolioId": pid,
                "idempotencyKey": f"k{size}",
                "transactions": big_history(size),
            }
        }
        started = time.perf_counter()
        with count_statements() as log:
            body = await gql(client, LEAN_RECORD, variables, token=owner.token)
        print(f"recorded {size} rows in {time.perf_counter() - started:.2f} s")
        assert body["data"]["recordPortfolioTransactions"]["recorded"] == size, body
        counts.append(log.count)
    assert counts[0] == counts[1]
    # Reads: begin, access check, the portfolio, its instruments, the FX pairs; the write
    # (committed without a statement of its own): tenant context, lock, history,
    # idempotency claim, references, the INSERT, holdings, cash, audit event.
    assert counts[1] == 14


async def test_health_answers_within_50_ms_while_10_000_transactions_are_recomputed(
    live: LiveServer, database_url: str
) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=120) as http:
        await seed_market(database_url)
        owner = await sign_up(http, "owner@example.com")
        pid = await pf.create(http, owner.token)
        done = await gql(
            http,
            LEAN_RECORD,
            {
                "input": {
                    "portfolioId": pid,
                    "idempotencyKey": "k",
                    "transactions": big_history(10_000),
                }
            },
            token=owner.token,
        )
        assert done["data"]["recordPortfolioTransactions"]["recorded"] == 10_000, done
        async with httpx.AsyncClient(base_url=live.url) as probe:
            for method in ("HIFO", "LIFO"):
                latencies: list[float] = []
                change = asyncio.create_task(
                    gql(
                        http,
                        UPDATE,
                        {"input": {"portfolioId": pid, "costBasisMethod": method}},
                        token=owner.token,
                    )
                )
                while not change.done():
                    before = time.perf_counter()
                    response = await probe.get("/health")
                    latencies.append(time.perf_counter() - before)
                    assert response.status_code == 200
                    await asyncio.sleep(0.01)
                changed = await change
                result = changed["data"]["updatePortfolio"]
                assert result["portfolio"]["costBasisMethod"] == method, changed
                print(method, f"{len(latencies)} probes, slowest {max(latencies) * 1000:.1f} ms")
                assert len(latencies) >= 5, latencies  # the recomputation took a while...
                assert max(latencies) < 0.05, sorted(latencies)[-5:]  # ...and /health answered
        body = await gql(http, CHECK, {"id": pid}, token=owner.token)
        assert Decimal(body["data"]["portfolio"]["cash"]) == Decimal(result["portfolio"]["cash"])
