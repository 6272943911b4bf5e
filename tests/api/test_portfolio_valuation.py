"""portfolioValuation over real WebSockets against the real app under uvicorn: ticks
published through the broker as the streamer publishes them, transactions recorded through
the portfolio services (which publish the portfolio's change after commit), real Redis and
real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import websockets
from starlette.applications import Starlette

from fiscus.app import create_app
from fiscus.config import Settings
from fiscus.domain.identity import Principal, Role
from fiscus.domain.marketdata import Quote
from fiscus.realtime import channels
from fiscus.services.marketdata.live import tick_payload
from fiscus.services.portfolios import portfolios, recording
from fiscus.services.portfolios.rows import TransactionInput
from tests.api.test_members import join
from tests.api.test_tenant_isolation import raw_uuid
from tests.conftest import _plain
from tests.graphql_client import sign_up
from tests.live_server import LiveServer
from tests.persistence.test_marketdata_reads import insert_global

VALUATION = """subscription($id: ID!) { portfolioValuation(portfolioId: $id) {
  portfolioId cash marketValue costBasis unrealizedGain dayChange totalValue asOf
  holdings { instrument { symbol } quantity price previousClose marketValue dayChange live }
} }"""
INTERVAL = 0.2


@pytest.fixture
def app(settings: Settings) -> Starlette:
    realtime = settings.realtime.model_copy(update={"valuation_interval_seconds": INTERVAL})
    return create_app(settings.model_copy(update={"realtime": realtime}))


@pytest.fixture
def live(app: Starlette) -> Iterator[LiveServer]:
    with LiveServer(app, lifespan="on", ws="websockets-sansio") as server:
        yield server


@pytest.fixture
async def http(live: LiveServer) -> Any:
    async with httpx.AsyncClient(base_url=live.url) as client:
        yield client


TODAY = datetime.now(UTC).date()
CLOSES = {"AAPL": ("100.00", "102.00"), "MSFT": ("200.00", "198.00")}
"""Yesterday's and today's stored closes."""


async def market(database_url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_plain(database_url))
    try:
        for symbol, (before, last) in CLOSES.items():
            instrument = await insert_global(database_url, symbol)
            rows = [
                {"day": (TODAY - timedelta(days=1)).isoformat(), "close": before},
                {"day": TODAY.isoformat(), "close": last},
            ]
            await connection.execute(
                "SELECT fiscus_upsert_daily_prices($1, 'test', $2::jsonb)",
                instrument,
                json.dumps(rows),
            )
    finally:
        await connection.close()


def principal_of(account: Any, role: Role = Role.OWNER) -> Principal:
    return Principal(
        raw_uuid(account.user_id),
        raw_uuid(account.org_id),
        role,
        uuid.uuid4(),
        datetime.now(UTC) + timedelta(hours=1),
    )


def row(kind: str, **values: Any) -> TransactionInput:
    decimals = {k: Decimal(v) for k, v in values.items() if k in {"quantity", "price", "amount"}}
    others = {k: v for k, v in values.items() if k not in decimals}
    return TransactionInput(type=kind, date=TODAY - timedelta(days=1), **decimals, **others)


async def record(runtime: Any, principal: Principal, portfolio_id: uuid.UUID, *rows: Any) -> None:
    await recording.record_transactions(
        runtime.portfolios,
        principal,
        portfolio_id,
        list(rows),
        idempotency_key=f"k-{uuid.uuid4()}",
    )


async def portfolio_with_holdings(runtime: Any, principal: Principal) -> uuid.UUID:
    created = await portfolios.create_portfolio(
        runtime.portfolios, principal, name="Main", base_currency="USD"
    )
    await record(
        runtime,
        principal,
        created.id,
        row("DEPOSIT", amount="10000"),
        row("BUY", symbol="AAPL", quantity="10", price="90"),
        row("BUY", symbol="MSFT", quantity="5", price="150"),
    )
    return created.id


def global_id(portfolio_id: uuid.UUID) -> str:
    import base64

    return base64.urlsafe_b64encode(f"Portfolio:{portfolio_id}".encode()).decode()


async def connect(live: LiveServer, token: str) -> Any:
    ws = await websockets.connect(
        f"ws://127.0.0.1:{live.port}/graphql", subprotocols=["graphql-transport-ws"]
    )
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    return ws


async def watch(ws: Any, portfolio_id: str, op_id: str = "1") -> None:
    payload = {"query": VALUATION, "variables": {"id": portfolio_id}}
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": payload}))


async def next_valuation(ws: Any, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
    message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    valuation: dict[str, Any] = message["payload"]["data"]["portfolioValuation"]
    return valuation


async def error_of(ws: Any) -> list[dict[str, Any]]:
    message = json.loads(await asyncio.wait_for(ws.recv(), 5))
    if message["type"] == "next":  # an error raised by the resolver: next, then complete
        errors: list[dict[str, Any]] = message["payload"]["errors"]
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "complete"
        return errors
    assert message["type"] == "error", message
    found: list[dict[str, Any]] = message["payload"]
    return found


async def tick(runtime: Any, symbol: str, price: str, previous: str | None = None) -> None:
    quote = Quote(
        symbol,
        Decimal(price),
        Decimal(previous) if previous else None,
        1000,
        datetime.now(UTC),
    )
    await runtime.broker.publish(channels.price(symbol), tick_payload(quote))


def holding(valuation: dict[str, Any], symbol: str) -> dict[str, Any]:
    found = [h for h in valuation["holdings"] if h["instrument"]["symbol"] == symbol]
    assert len(found) == 1, valuation
    return found[0]


async def test_first_the_stored_closes_then_each_batch_of_ticks(
    http, live, app, runtime, database_url
):
    await market(database_url)
    owner = await sign_up(http, "owner@example.com")
    portfolio_id = await portfolio_with_holdings(runtime, principal_of(owner))
    ws = await connect(live, owner.token)
    await watch(ws, global_id(portfolio_id))

    first = await next_valuation(ws)
    # 10 AAPL at 102.00 and 5 MSFT at 198.00 (today's stored closes), cash 10000 - 1650.
    assert first["portfolioId"] == global_id(portfolio_id)
    assert Decimal(first["marketValue"]) == Decimal("2010.00")
    assert Decimal(first["costBasis"]) == Decimal("1650")
    assert Decimal(first["unrealizedGain"]) == Decimal("360.00")
    assert Decimal(first["cash"]) == Decimal("8350")
    assert Decimal(first["totalValue"]) == Decimal("10360.00")
    # Against yesterday's closes: 10 * 2.00 + 5 * -2.00.
    assert Decimal(first["dayChange"]) == Decimal("10.00")
    assert first["asOf"] is None
    assert holding(first, "AAPL")["live"] is False

    await tick(runtime, "AAPL", "110.00", previous="101.00")
    after = await next_valuation(ws)
    aapl = holding(after, "AAPL")
    assert aapl["live"] is True
    assert Decimal(aapl["price"]) == Decimal("110.00")
    assert Decimal(aapl["previousClose"]) == Decimal("101.00")
    assert Decimal(aapl["marketValue"]) == Decimal("1100.00")
    assert Decimal(aapl["dayChange"]) == Decimal("90.00")
    assert Decimal(after["marketValue"]) == Decimal("2090.00")
    assert after["asOf"] is not None
    await ws.close()


async def test_rapid_ticks_are_coalesced_and_the_last_value_wins(
    http, live, app, runtime, database_url
):
    await market(database_url)
    owner = await sign_up(http, "owner@example.com")
    portfolio_id = await portfolio_with_holdings(runtime, principal_of(owner))
    ws = await connect(live, owner.token)
    await watch(ws, global_id(portfolio_id))
    await next_valuation(ws)

    ticks = 60
    for n in range(ticks):
        await tick(runtime, "AAPL", f"{100 + n}.00", previous="100.00")
    received: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + 6 * INTERVAL + 2
    while asyncio.get_running_loop().time() < deadline:
        try:
            received.append(await next_valuation(ws, timeout=4 * INTERVAL))
        except TimeoutError:
            break
        if Decimal(holding(received[-1], "AAPL")["price"]) == Decimal(f"{100 + ticks - 1}.00"):
            break
    assert received, "no valuation after the ticks"
    assert len(received) < ticks / 5, len(received)
    last = holding(received[-1], "AAPL")
    assert Decimal(last["price"]) == Decimal("159.00")
    assert Decimal(last["marketValue"]) == Decimal("1590.00")
    with pytest.raises(TimeoutError):
        await next_valuation(ws, timeout=3 * INTERVAL)  # nothing more: nothing changed
    await ws.close()


async def test_a_recorded_transaction_revalues_the_portfolio(
    http, live, app, runtime, database_url
):
    await market(database_url)
    owner = await sign_up(http, "owner@example.com")
    principal = principal_of(owner)
    portfolio_id = await portfolio_with_holdings(runtime, principal)
    ws = await connect(live, owner.token)
    await watch(ws, global_id(portfolio_id))
    first = await next_valuation(ws)
    assert Decimal(holding(first, "MSFT")["quantity"]) == 5

    await record(
        runtime, principal, portfolio_id, row("BUY", symbol="MSFT", quantity="3", price="190")
    )
    after = await next_valuation(ws)
    assert Decimal(holding(after, "MSFT")["quantity"]) == 8
    assert Decimal(holding(after, "MSFT")["marketValue"]) == Decimal("1584.00")
    assert Decimal(after["cash"]) == Decimal("7780")
    await ws.close()


async def test_another_organizations_portfolio_is_unknown_and_viewers_may_not_watch(
    http, live, app, runtime, database_url, settings
):
    await market(database_url)
    owner = await sign_up(http, "owner@example.com", org="Org A")
    outsider = await sign_up(http, "outsider@example.com", org="Org B")
    portfolio_id = await portfolio_with_holdings(runtime, principal_of(owner))

    outsiders = await connect(live, outsider.token)
    await watch(outsiders, global_id(portfolio_id))
    theirs = await error_of(outsiders)
    await watch(outsiders, global_id(uuid.uuid4()), op_id="2")
    nobodys = await error_of(outsiders)
    assert theirs == nobodys
    assert theirs[0]["extensions"]["code"] == "NOT_FOUND"

    _, viewer_token = await join(
        http, runtime.queue, settings, owner, "viewer@example.com", "VIEWER"
    )
    viewer = await connect(live, viewer_token)
    await watch(viewer, global_id(portfolio_id))
    refused = await error_of(viewer)
    assert refused[0]["extensions"]["code"] == "FORBIDDEN"
    await outsiders.close()
    await viewer.close()


async def test_one_valuation_per_batch_of_ticks_however_many_sockets_watch(
    http, live, app, runtime, database_url, settings
):
    await market(database_url)
    owner = await sign_up(http, "owner@example.com")
    portfolio_id = await portfolio_with_holdings(runtime, principal_of(owner))
    tokens = [owner.token] * 6
    for n in range(2):
        _, member = await join(http, runtime.queue, settings, owner, f"m{n}@example.com", "MEMBER")
        tokens += [member] * 3
    sockets = [await connect(live, token) for token in tokens]
    for ws in sockets:
        await watch(ws, global_id(portfolio_id))
    for ws in sockets:
        await next_valuation(ws)
    engine = app.state.valuations
    executions = app.state.graphql_ws.executions
    before = (engine.computations, executions.events_executed)

    await tick(runtime, "AAPL", "120.00")
    await tick(runtime, "MSFT", "220.00")
    for ws in sockets:
        valuation = await next_valuation(ws)
        while Decimal(holding(valuation, "MSFT")["price"]) != Decimal("220.00"):
            valuation = await next_valuation(ws)
    computed = engine.computations - before[0]
    serialised = executions.events_executed - before[1]
    # One portfolio, two ticks: one or two valuations (one batch, or two when the second
    # tick arrived after the first flush), never one per socket. The owner's six sockets
    # share one execution, the two members' six another (same organization, same role):
    # each valuation is serialised once per role, not once per socket or per user.
    assert 1 <= computed <= 2
    assert len(executions) == 2
    assert serialised == 2 * computed
    for ws in sockets:
        await ws.close()
