"""Backtests over the real app and the real arq worker: queued, shared while identical,
simulated by the worker, stored and listed; typed errors naming the field; progress over a
real WebSocket; audit events."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import websockets

from fiscus.workers.settings import run_worker
from tests.api.analytics_fixtures import seed_instrument, wave, weekdays
from tests.api.backtest_operations import (
    BACKTEST,
    COMPARISON,
    PROGRESS,
    RUN,
    STRATEGY,
    backtest_input,
    run_backtest,
    strategy,
)
from tests.api.portfolio_operations import create, record
from tests.graphql_client import gql, sign_up
from tests.live_server import LiveServer

DAYS = weekdays(date(2022, 12, 1), date(2024, 12, 31))
DIVIDENDS = [
    {"day": d, "kind": "dividend", "amount": "0.40"}
    for d in ("2023-03-15", "2023-09-15", "2024-03-15", "2024-09-16")
]


async def watch(live: LiveServer, token: str, run_id: str) -> Any:
    ws = await websockets.connect(
        f"ws://127.0.0.1:{live.port}/graphql", subprotocols=["graphql-transport-ws"]
    )
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    payload = {"query": PROGRESS, "variables": {"id": run_id}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    return ws


async def seed(database_url: str) -> None:
    await seed_instrument(database_url, "AAA", DAYS, wave(100, 0.15, 25, drift=0.0003))
    await seed_instrument(
        database_url, "BBB", DAYS, wave(40, 0.05, 40), kind="equity", actions=DIVIDENDS
    )


async def test_a_backtest_is_queued_shared_run_by_the_worker_and_stored(
    client, database_url, settings
):
    await seed(database_url)
    owner = await sign_up(client, "owner@example.com")
    pid = await create(client, owner.token, name="Real")
    await record(
        client,
        owner.token,
        pid,
        [
            {"type": "DEPOSIT", "date": "2023-01-03", "amount": "10000"},
            {
                "type": "BUY",
                "date": "2023-01-03",
                "symbol": "AAA",
                "quantity": "60",
                "price": "100",
            },
        ],
    )
    first = await run_backtest(client, owner.token, comparePortfolioId=pid)
    assert first["__typename"] == "BacktestRun", first
    assert first["shared"] is False
    queued = first["backtest"]
    assert (queued["status"], queued["from"], queued["to"], queued["currency"]) == (
        "QUEUED",
        "2023-01-02",
        "2024-12-31",
        "USD",
    )
    # The same simulation under another name, while queued: the same run.
    again = await run_backtest(client, owner.token, comparePortfolioId=pid, name="Again")
    assert again["shared"] is True and again["backtest"]["id"] == queued["id"]

    await run_worker(settings, burst=True)

    body = await gql(client, BACKTEST, {"id": queued["id"]}, token=owner.token)
    assert "errors" not in body, body
    done = body["data"]["backtest"]
    assert done["status"] == "SUCCEEDED" and done["progress"] == "1.0000", done
    assert done["createdBy"] == {"email": "owner@example.com"}
    hold, rebalance, dca = done["strategies"]
    assert [s["name"] for s in done["strategies"]] == ["Hold", "Rebalance", "DCA"]
    details = []
    for n in range(3):
        found = await gql(client, STRATEGY, {"id": queued["id"], "index": n}, token=owner.token)
        assert "errors" not in found, found
        details.append(found["data"]["backtest"]["strategy"])
    # Hold: bought once at the first close, never traded again but to reinvest dividends.
    assert {t["node"]["reason"] for t in details[0]["trades"]["edges"]} <= {"INITIAL", "DIVIDEND"}
    assert details[0]["trades"]["edges"][0]["node"]["date"] == "2023-01-02"
    assert hold["metrics"]["from"] == "2023-01-01" and hold["metrics"]["to"] == "2024-12-31"
    assert Decimal(hold["metrics"]["netFlows"]) == 10000
    assert Decimal(hold["metrics"]["fees"]) == 0
    assert hold["metrics"]["risk"]["observations"] == len(
        [d for d in DAYS if date(2023, 1, 2) <= d <= date(2024, 12, 31)]
    )
    assert sum(Decimal(h["weight"]) for h in details[0]["holdings"]) <= 1
    assert Decimal(hold["cash"]) < 1
    # Rebalance: quarterly trades with fees, whole shares.
    assert Decimal(rebalance["metrics"]["fees"]) > 0
    page = details[1]["trades"]
    assert page["totalCount"] == rebalance["tradeCount"] > 3 and page["pageInfo"]["hasNextPage"]
    assert [e["cursor"] for e in page["edges"]] == ["0", "1", "2"]
    held = [Decimal(h["quantity"]) for h in details[1]["holdings"]]
    assert held and all(q == int(q) for q in held)
    # DCA: 500 a month, paid in at each month's first trading day.
    months = details[2]["equityCurve"]
    assert months[0]["date"] == "2023-01-02" and Decimal(months[0]["value"]) == 0
    assert len(months) == 25
    assert Decimal(dca["metrics"]["netFlows"]) == 500 * 23  # February 2023 to December 2024
    assert dca["metrics"]["xirr"] is not None
    missing = await gql(client, STRATEGY, {"id": queued["id"], "index": 3}, token=owner.token)
    assert missing["data"]["backtest"]["strategy"] is None
    # The real portfolio over the same period, by the same functions.
    compared = await gql(client, COMPARISON, {"id": queued["id"]}, token=owner.token)
    comparison = compared["data"]["backtest"]["portfolioComparison"]
    assert comparison["portfolio"] == {"name": "Real"}
    assert Decimal(comparison["metrics"]["netFlows"]) == 10000

    listed = await gql(
        client, "{ backtests(first: 5) { edges { node { id status } } } }", token=owner.token
    )
    assert [e["node"] for e in listed["data"]["backtests"]["edges"]] == [
        {"id": queued["id"], "status": "SUCCEEDED"}
    ]
    audit = await gql(
        client, "{ auditLog(first: 10) { edges { node { action } } } }", token=owner.token
    )
    actions = [e["node"]["action"] for e in audit["data"]["auditLog"]["edges"]]
    assert "backtest.requested" in actions and "backtest.succeeded" in actions
    # Finished: an identical request now makes a new run.
    later = await run_backtest(client, owner.token, comparePortfolioId=pid)
    assert later["shared"] is False and later["backtest"]["id"] != queued["id"]


async def test_bad_input_is_a_typed_error_naming_the_field_and_stores_nothing(client, database_url):
    await seed(database_url)
    owner = await sign_up(client, "owner@example.com")
    await seed_instrument(
        database_url, "LATE", weekdays(date(2024, 6, 3), date(2024, 12, 31)), wave(9, 0.1, 9)
    )
    cases = {
        "input.strategies[0].allocations": backtest_input(
            strategies=[strategy("s", "BUY_AND_HOLD", {"AAA": "0.5", "BBB": "0.4"})]
        ),
        "input.strategies[0].allocations[1].symbol": backtest_input(
            strategies=[strategy("s", "BUY_AND_HOLD", {"AAA": "0.5", "NOPE": "0.5"})]
        ),
        "input.strategies[0].allocations[0].symbol": backtest_input(
            strategies=[strategy("s", "BUY_AND_HOLD", {"LATE": "0.5", "AAA": "0.5"})]
        ),
        "input.start": backtest_input(start="2024-06-01", end="2024-01-01"),
        "input.strategies[0].rebalanceFrequency": backtest_input(
            strategies=[strategy("s", "REBALANCE", {"AAA": "1"})]
        ),
        "input.comparePortfolioId": backtest_input(comparePortfolioId="UG9ydGZvbGlvOm5vcGU="),
    }
    codes = {}
    for field, value in cases.items():
        body = await gql(
            client,
            """mutation($input: RunBacktestInput!) { runBacktest(input: $input) {
              __typename ... on ValidationError { problems { code field } }
              ... on UserError { code field } } }""",
            {"input": value},
            token=owner.token,
        )
        result = body["data"]["runBacktest"]
        problems = result.get("problems") or [result]
        assert field in {p["field"] for p in problems}, (field, result)
        codes[field] = next(p["code"] for p in problems if p["field"] == field)
    assert codes == {
        "input.strategies[0].allocations": "INVALID",
        "input.strategies[0].allocations[1].symbol": "NOT_FOUND",
        "input.strategies[0].allocations[0].symbol": "NO_PRICES",
        "input.start": "INVALID",
        "input.strategies[0].rebalanceFrequency": "REQUIRED",
        "input.comparePortfolioId": "NOT_FOUND",
    }
    listed = await gql(client, "{ backtests { edges { node { id } } } }", token=owner.token)
    assert listed["data"]["backtests"]["edges"] == []


async def test_progress_arrives_over_a_websocket_until_the_run_finishes(
    http, live, settings, database_url
):
    await seed(database_url)
    owner = await sign_up(http, "owner@example.com")
    started = await run_backtest(http, owner.token)
    run_id = started["backtest"]["id"]
    ws = await watch(live, owner.token, run_id)
    first = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert first["payload"]["data"]["backtestProgress"]["status"] == "QUEUED"
    await run_worker(settings, burst=True)
    events = []
    async with asyncio.timeout(10):
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "complete":
                break
            events.append(message["payload"]["data"]["backtestProgress"])
    assert events[-1] == {
        "backtestId": run_id,
        "status": "SUCCEEDED",
        "progress": "1",
        "error": None,
    }
    progress = [Decimal(e["progress"]) for e in events]
    assert progress == sorted(progress)
    await ws.close()


@pytest.mark.parametrize("role", ["VIEWER"])
async def test_viewers_read_results_but_not_the_compared_portfolio(
    client, app, settings, database_url, role
):
    from tests.api.test_members import join

    await seed(database_url)
    owner = await sign_up(client, "owner@example.com")
    pid = await create(client, owner.token, name="Real")
    await record(
        client, owner.token, pid, [{"type": "DEPOSIT", "date": "2023-01-03", "amount": "100"}]
    )
    run = await run_backtest(client, owner.token, comparePortfolioId=pid)
    await run_worker(settings, burst=True)
    _, viewer = await join(
        client, app.state.runtime.queue, settings, owner, "viewer@example.com", role
    )
    body = await gql(client, BACKTEST, {"id": run["backtest"]["id"]}, token=viewer)
    assert "errors" not in body, body
    assert body["data"]["backtest"]["status"] == "SUCCEEDED"
    refused = await gql(client, COMPARISON, {"id": run["backtest"]["id"]}, token=viewer)
    (error,) = refused["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"] == ["backtest", "portfolioComparison"]
    denied = await gql(client, RUN, {"input": backtest_input()}, token=viewer)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
