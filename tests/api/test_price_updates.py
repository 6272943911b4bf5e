"""priceUpdates over real WebSockets against the real app under uvicorn, with the streamer
running on a fake provider (the outside world), real Redis and real PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
import websockets
from starlette.applications import Starlette

from fiscus.app import create_app
from fiscus.config import Settings, StreamerSettings
from fiscus.marketdata.streamer import Streamer
from fiscus.observability import metrics
from fiscus.realtime import channels
from fiscus.runtime import Runtime
from fiscus.services.marketdata.live import build_streamer
from tests.conftest import _plain
from tests.graphql_client import sign_up
from tests.live_server import LiveServer
from tests.marketdata.fakes import FakeStreamProvider, quote
from tests.persistence.test_marketdata_reads import insert_global, insert_manual

TICKS = """
subscription Prices($symbols: [String!]!) {
  priceUpdates(symbols: $symbols) { symbol price change changePercent dayVolume at seq }
}
"""


@pytest.fixture
def live_settings(settings: Settings) -> Settings:
    fast = StreamerSettings(
        interest_ttl_seconds=2.0,
        interest_heartbeat_seconds=0.5,
        interest_poll_seconds=0.05,
        lease_ttl_seconds=2.0,
        lease_renew_seconds=0.5,
        reconnect_min_seconds=0.05,
        reconnect_max_seconds=0.2,
    )
    return settings.model_copy(update={"streamer": fast})


@pytest.fixture
def app(live_settings: Settings) -> Starlette:
    return create_app(live_settings)


@pytest.fixture
def live(app: Starlette) -> Iterator[LiveServer]:
    server = LiveServer(app, lifespan="on", ws="websockets-sansio")
    # Accepted sockets inherit the listener's buffer size: small kernel buffers, so a reader
    # that does not read fills them quickly instead of after megabytes of loopback buffering.
    server._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    with server:
        yield server


@pytest.fixture
async def http(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url) as client:
        yield client


@pytest.fixture
def provider() -> FakeStreamProvider:
    return FakeStreamProvider()


@pytest.fixture
async def streamer(
    live_settings: Settings, runtime: Runtime, provider: FakeStreamProvider
) -> AsyncIterator[Streamer]:
    """The streamer as `fiscus stream` runs it, in this (another) event loop."""
    running = build_streamer(live_settings, runtime.redis, runtime.broker, provider.stream)
    task = asyncio.create_task(running.run())
    await asyncio.wait_for(running.became_active.wait(), 5)
    yield running
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture
async def instruments(database_url: str) -> None:
    for symbol in ("AAPL", "MSFT", "TSLA", "BTC-USD"):
        await insert_global(database_url, symbol)


async def connect(live: LiveServer, token: str, **options: Any) -> Any:
    ws = await websockets.connect(
        f"ws://127.0.0.1:{live.port}/graphql", subprotocols=["graphql-transport-ws"], **options
    )
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    return ws


async def watch(ws: Any, symbols: list[str], op_id: str = "1", query: str = TICKS) -> None:
    payload = {"query": query, "variables": {"symbols": symbols}}
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": payload}))


async def next_tick(ws: Any, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109 - a test helper
    message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert message["type"] == "next", message
    tick: dict[str, Any] = message["payload"]["data"]["priceUpdates"]
    return tick


async def error_of(ws: Any) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert message["type"] == "error", message
    error: dict[str, Any] = message["payload"][0]
    return error


async def test_the_last_price_comes_first_then_every_tick_in_order(
    http, live, runtime, streamer, provider, instruments
):
    account = await sign_up(http, "ada@example.com")
    # A price the streamer published before anyone watched MSFT: the channel's snapshot.
    await runtime.broker.publish(
        channels.price("MSFT"),
        {
            "symbol": "MSFT",
            "price": "410.10",
            "change": "-1.90",
            "changePercent": "-0.4612",
            "dayVolume": 12_000_000_000,
            "at": "2026-12-01T14:30:00+00:00",
        },
    )
    ws = await connect(live, account.token)
    await watch(ws, ["msft", "AAPL"])

    first = await next_tick(ws)
    assert first == {
        "symbol": "MSFT",
        "price": "410.10",
        "change": "-1.90",
        "changePercent": "-0.4612",
        "dayVolume": 12_000_000_000,
        "at": "2026-12-01T14:30:00+00:00",
        "seq": 1,
    }
    # The replica registered its interest; the streamer subscribed the provider to it.
    await provider.wait_subscribed({"AAPL", "MSFT"})
    await asyncio.sleep(0.2)  # the server's Redis subscriptions confirmed
    prices = ["187.00", "187.10", "186.95", "187.40"]
    for price in prices:
        provider.push(quote("AAPL", price, previous="185.00", volume=5))
        await asyncio.sleep(0.02)
    provider.push(quote("MSFT", "411.00", previous="412.00"))

    aapl = [await next_tick(ws) for _ in prices]
    assert [t["price"] for t in aapl] == prices
    assert [t["seq"] for t in aapl] == [1, 2, 3, 4]
    assert aapl[0]["change"] == "2.00" and aapl[0]["changePercent"] == "1.0811"
    msft = await next_tick(ws)
    assert (msft["price"], msft["seq"]) == ("411.00", 2)
    await ws.close()


async def test_sockets_with_overlapping_symbols_share_one_execution_per_symbol(
    app, http, live, streamer, provider, instruments
):
    first = await sign_up(http, "ada@example.com", org="Org A")
    second = await sign_up(http, "bob@example.com", org="Org B")
    ws_a = await connect(live, first.token)
    ws_b = await connect(live, second.token)
    await watch(ws_a, ["AAPL", "MSFT"])
    # Another user, other organization, other order, a literal list and other formatting:
    # the same selection set, so the same per-symbol executions.
    literal = (
        'subscription { priceUpdates(symbols: ["tsla", "msft", "AAPL"]) '
        "{ symbol price change changePercent dayVolume at seq } }"
    )
    await watch(ws_b, [], query=literal)
    await provider.wait_subscribed({"AAPL", "MSFT", "TSLA"})
    await asyncio.sleep(0.2)  # the server's Redis subscriptions confirmed
    executions = app.state.graphql_ws.executions
    assert executions.executions_started == 3
    assert len(executions) == 3

    before = executions.events_executed
    provider.push(quote("MSFT", "420.00"))
    tick_a, tick_b = await next_tick(ws_a), await next_tick(ws_b)
    assert tick_a == tick_b and tick_a["symbol"] == "MSFT"
    assert executions.events_executed == before + 1  # resolved and serialised once

    await ws_a.close()
    await asyncio.sleep(0.2)
    assert len(executions) == 3  # ws_b still watches all three
    await ws_b.close()
    await asyncio.sleep(0.2)
    assert len(executions) == 0


async def test_a_slow_reader_gets_the_latest_tick_of_every_symbol(
    app, http, live, streamer, provider, instruments
):
    account = await sign_up(http, "ada@example.com")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a reader that barely reads
    sock.connect(("127.0.0.1", live.port))
    ws = await connect(live, account.token, sock=sock, max_queue=1)
    await watch(ws, ["AAPL", "MSFT"])
    await provider.wait_subscribed({"AAPL", "MSFT"})
    await asyncio.sleep(0.2)  # the server's Redis subscriptions confirmed
    ws.transport.pause_reading()  # the client stops reading its socket
    ticks = 0

    async def flood_until_conflated() -> None:
        """AAPL ticks in batches until the server declared 100 more conflations (how much
        the kernel and the server's transport buffer first varies from run to run)."""
        nonlocal ticks
        declared = metrics.messages_dropped._value.get()
        for _ in range(30):
            for _ in range(500):
                ticks += 1
                provider.push(quote("AAPL", f"{100 + ticks / 100:.2f}"))
            await asyncio.wait_for(executed(app, f'"seq":{ticks}'), 30)
            if metrics.messages_dropped._value.get() >= declared + 100:
                return
        raise AssertionError("the server never conflated")

    await flood_until_conflated()
    provider.push(quote("MSFT", "400.00"))  # one tick amid the flood
    await flood_until_conflated()
    ws.transport.resume_reading()

    received: list[dict[str, Any]] = []
    with contextlib.suppress(TimeoutError):
        while True:
            received.append(await next_tick(ws, timeout=1.0))
    aapl = [t["seq"] for t in received if t["symbol"] == "AAPL"]
    msft = [t for t in received if t["symbol"] == "MSFT"]
    assert [t["price"] for t in msft] == ["400.00"]  # never pushed out by AAPL's flood
    assert aapl == sorted(set(aapl)) and aapl[-1] == ticks  # in order, the latest last
    assert len(aapl) < ticks  # conflated, not queued without bound
    await ws.close()


async def ids_of(database_url: str, email: str) -> tuple[uuid.UUID, uuid.UUID]:
    connection = await asyncpg.connect(_plain(database_url))
    try:
        row = await connection.fetchrow(
            "SELECT u.id, m.org_id FROM users u JOIN memberships m ON m.user_id = u.id"
            " WHERE u.email = $1",
            email,
        )
    finally:
        await connection.close()
    return row["id"], row["org_id"]


async def executed(app: Starlette, fragment: str) -> None:
    """Until one of the server's shared executions has served a payload with ``fragment``."""
    executions = app.state.graphql_ws.executions

    def served() -> bool:
        return any(fragment in (e.latest_json or "") for e in executions._running.values())

    while not served():  # noqa: ASYNC110 - another thread's state
        await asyncio.sleep(0.05)


async def test_too_many_unknown_and_manual_symbols_are_clear_errors(
    http, live, runtime, database_url, instruments
):
    account = await sign_up(http, "ada@example.com")
    user_id, org_id = await ids_of(database_url, "ada@example.com")
    await insert_manual(database_url, org_id, user_id, "HOUSE")
    ws = await connect(live, account.token)

    await watch(ws, [f"S{n}" for n in range(201)], op_id="many")
    error = await error_of(ws)
    assert error["message"] == "At most 200 symbols per subscription (201 given)."
    assert error["extensions"]["code"] == "TOO_LONG"

    await watch(ws, ["AAPL", "NOPE", "bad symbol!", "ZZZZ"], op_id="unknown")
    error = await error_of(ws)
    assert error["message"] == "Unknown symbols: bad symbol!, NOPE, ZZZZ."
    assert error["extensions"]["code"] == "NOT_FOUND"

    await watch(ws, ["AAPL", "house"], op_id="manual")
    error = await error_of(ws)
    assert error["message"] == (
        "Manual instruments have no live prices: HOUSE (their prices are entered by hand)."
    )

    # The socket is still usable, and nothing was left subscribed.
    await watch(ws, ["AAPL"], op_id="ok")
    await ws.send(json.dumps({"type": "ping"}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "pong"
    await ws.close()


async def test_a_symbol_nobody_streamed_yet_starts_from_its_newest_stored_close(
    http, live, runtime, streamer, provider, database_url
):
    """No tick yet (just watched, or its market is closed): the last known price is the
    newest stored close, sent at once with seq 0; live ticks follow from seq 1."""
    tsla = await insert_global(database_url, "TSLA")
    connection = await asyncpg.connect(_plain(database_url))
    try:
        await connection.executemany(
            "INSERT INTO daily_prices (instrument_id, day, close, source, fetched_at)"
            " VALUES ($1, $2, $3, 'simulated', now())",
            [
                (tsla, date(2026, 11, 26), Decimal("240.10")),
                (tsla, date(2026, 11, 27), Decimal("242.55")),
            ],
        )
    finally:
        await connection.close()
    account = await sign_up(http, "ada@example.com")
    ws = await connect(live, account.token)
    await watch(ws, ["TSLA"])
    first = await next_tick(ws)
    assert first == {
        "symbol": "TSLA",
        "price": "242.55",
        "change": None,
        "changePercent": None,
        "dayVolume": None,
        "at": "2026-11-27T00:00:00+00:00",
        "seq": 0,
    }
    await provider.wait_subscribed({"TSLA"})
    await asyncio.sleep(0.2)
    provider.push(quote("TSLA", "243.00", previous="242.55"))
    live_tick = await next_tick(ws)
    assert (live_tick["price"], live_tick["seq"]) == ("243.00", 1)
    await ws.close()
