"""The graphql-transport-ws server under real uvicorn, driven by a real ``websockets`` client."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import strawberry
import uvicorn
import websockets
from graphql import GraphQLError, ValidationRule
from graphql.language import FieldNode
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from strawberry.permission import BasePermission
from strawberry.types import Info
from websockets.asyncio.client import ClientConnection

from fiscus.config import RealtimeSettings
from fiscus.domain.errors import AuthenticationFailed
from fiscus.domain.identity import Principal, Role
from fiscus.realtime import channels
from fiscus.realtime.broker import Broker
from fiscus.realtime.hub import Hub
from fiscus.transport.websocket import (
    PUBLIC_SCOPE_METADATA,
    GraphQLWebSocketEndpoint,
    OutboundQueue,
)

# -- a toy schema whose subscriptions read from the hub --------------------------------------


@dataclass
class ToyContext:
    principal: Principal
    hub: Hub
    resolver_runs: Counter[str]
    gate: asyncio.Event | None = None
    events_started: int = 0

    def next_event(self) -> None:
        self.events_started += 1


@strawberry.type
class Quote:
    symbol: str
    price: str
    seq: int


class NeverAllowed(BasePermission):
    message = "You may not watch this."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return False


async def _quotes(info: Info[ToyContext, None], symbol: str) -> AsyncGenerator[Quote, None]:
    async with info.context.hub.subscribe(channels.price(symbol)) as events:
        async for envelope in events:
            info.context.resolver_runs[symbol] += 1
            yield Quote(symbol=symbol, price=envelope.payload["price"], seq=envelope.seq)


@strawberry.type
class Query:
    @strawberry.field
    def whoami(self, info: Info[ToyContext, None]) -> str:
        return str(info.context.principal.user_id)

    @strawberry.field
    def role(self, info: Info[ToyContext, None]) -> str:
        return info.context.principal.role.value

    @strawberry.field
    async def gated(self, info: Info[ToyContext, None]) -> str:
        """Runs until the test opens the server's gate."""
        info.context.resolver_runs["gated"] += 1
        assert info.context.gate is not None
        await info.context.gate.wait()
        return "done"

    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError("database password is hunter2")


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def quotes(
        self, info: Info[ToyContext, None], symbol: str
    ) -> AsyncGenerator[Quote, None]:
        async for quote in _quotes(info, symbol):
            yield quote

    @strawberry.subscription(metadata=PUBLIC_SCOPE_METADATA)  # type: ignore[untyped-decorator]
    async def public_quotes(
        self, info: Info[ToyContext, None], symbol: str
    ) -> AsyncGenerator[Quote, None]:
        async for quote in _quotes(info, symbol):
            yield quote

    @strawberry.subscription
    async def countdown(self, start: int) -> AsyncGenerator[int, None]:
        for n in range(start, 0, -1):
            yield n

    @strawberry.subscription(permission_classes=[NeverAllowed])  # type: ignore[untyped-decorator]
    async def secrets(self) -> AsyncGenerator[int, None]:
        yield 1


SCHEMA = strawberry.Schema(query=Query, subscription=Subscription)


class NoFieldNamedBroken(ValidationRule):
    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.name.value == "broken":
            self.report_error(GraphQLError("The broken field is off limits.", node))


# -- the server ------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    endpoint: GraphQLWebSocketEndpoint
    hub: Hub
    broker: Broker
    tokens: dict[str, Principal] = field(default_factory=dict)
    current_access: dict[uuid.UUID, Principal | None] = field(default_factory=dict)
    resolver_runs: Counter[str] = field(default_factory=Counter)
    contexts: list[ToyContext] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    def issue(
        self,
        role: Role = Role.MEMBER,
        ttl: float = 600,
        user: uuid.UUID | None = None,
        org: uuid.UUID | None = None,
    ) -> tuple[str, Principal]:
        principal = Principal(
            user_id=user or uuid.uuid4(),
            org_id=org or uuid.uuid4(),
            role=role,
            session_id=uuid.uuid4(),
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl),
        )
        token = uuid.uuid4().hex
        self.tokens[token] = principal
        self.current_access[principal.user_id] = principal
        return token, principal


@pytest.fixture
async def server(broker: Broker, hub: Hub) -> AsyncIterator[Server]:
    holder: dict[str, Server] = {}

    async def authenticate(payload: dict[str, Any]) -> Principal:
        header = payload.get("authorization")
        if not isinstance(header, str) or not header.startswith("Bearer "):
            raise AuthenticationFailed("UNAUTHENTICATED", "Missing bearer token.")
        principal = holder["server"].tokens.get(header.removeprefix("Bearer "))
        if principal is None:
            raise AuthenticationFailed("UNAUTHENTICATED", "Invalid token.")
        return principal

    async def revalidate(principal: Principal) -> Principal | None:
        return holder["server"].current_access.get(principal.user_id)

    async def context_factory(
        principal: Principal, client_address: str | None = None
    ) -> ToyContext:
        context = ToyContext(
            principal, hub, holder["server"].resolver_runs, gate=holder["server"].gate
        )
        holder["server"].contexts.append(context)
        return context

    endpoint = GraphQLWebSocketEndpoint(
        SCHEMA,
        hub=hub,
        authenticate=authenticate,
        revalidate=revalidate,
        context_factory=context_factory,
        settings=RealtimeSettings(
            init_timeout_seconds=0.5,
            subscriber_queue_size=64,
            max_subscriptions_per_socket=3,
            max_operations_per_socket=2,
            max_message_bytes=64_000,
        ),
        validation_rules=[NoFieldNamedBroken],
    )
    app = Starlette(routes=[WebSocketRoute("/graphql", endpoint)])
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    uv = uvicorn.Server(config)
    task = asyncio.create_task(uv.serve())
    while not uv.started:  # noqa: ASYNC110 - uvicorn exposes no startup event
        await asyncio.sleep(0.01)
    port = uv.servers[0].sockets[0].getsockname()[1]
    holder["server"] = Server(f"ws://127.0.0.1:{port}/graphql", endpoint, hub, broker)
    yield holder["server"]
    uv.should_exit = True
    await task


# -- client helpers --------------------------------------------------------------------------


async def connect(server: Server, subprotocol: str = "graphql-transport-ws") -> ClientConnection:
    return await websockets.connect(server.url, subprotocols=[subprotocol])  # type: ignore[list-item]


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 3))
    return message


async def closed_with(ws: ClientConnection, within: float = 3) -> tuple[int, str]:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(within):
            while True:
                await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def authed(server: Server, token: str | None = None) -> ClientConnection:
    if token is None:
        token, _ = server.issue()
    ws = await connect(server)
    await send(ws, {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    assert await receive(ws) == {"type": "connection_ack"}
    return ws


def subscribe(op_id: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables}}


QUOTES = "subscription Q($s: String!) { quotes(symbol: $s) { symbol price seq } }"
PUBLIC_QUOTES = "subscription P($s: String!) { publicQuotes(symbol: $s) { price seq } }"


async def until(condition: Callable[[], bool], within: float = 3) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - polling server state
            await asyncio.sleep(0.01)


def sink_count(server: Server) -> int:
    return sum(len(execution.sinks) for execution in server.endpoint.executions._running.values())


def hub_listening(server: Server) -> bool:
    """The shared execution's Redis subscription is confirmed: a publish now reaches it
    (before that, only the snapshot of what was published meanwhile would)."""
    states = server.hub._channels.values()
    return bool(states) and all(state.confirmed.done() for state in states)


# -- connection lifecycle --------------------------------------------------------------------


async def test_query_over_the_socket_gets_one_next_and_complete(server: Server) -> None:
    token, principal = server.issue()
    ws = await authed(server, token)

    await send(ws, subscribe("1", "{ whoami }"))

    assert await receive(ws) == {
        "id": "1",
        "type": "next",
        "payload": {"data": {"whoami": str(principal.user_id)}},
    }
    assert await receive(ws) == {"id": "1", "type": "complete"}
    await ws.close()


async def test_subscription_streams_live_values_until_the_client_completes(
    server: Server,
) -> None:
    ws = await authed(server)
    await send(ws, subscribe("q", QUOTES, {"s": "AAPL"}))
    await until(lambda: sink_count(server) == 1)
    await server.broker.publish(channels.price("AAPL"), {"price": "101.5"})

    first = await receive(ws)
    await send(ws, {"id": "q", "type": "complete"})
    await until(lambda: len(server.endpoint.executions) == 0)
    await ws.close()

    assert first == {
        "id": "q",
        "type": "next",
        "payload": {"data": {"quotes": {"symbol": "AAPL", "price": "101.5", "seq": 1}}},
    }
    await until(lambda: server.hub.local_channel_count == 0)


async def test_server_completes_a_finished_stream(server: Server) -> None:
    ws = await authed(server)
    await send(ws, subscribe("c", "subscription { countdown(start: 2) }"))

    frames = [await receive(ws) for _ in range(3)]

    assert [frame["type"] for frame in frames] == ["next", "next", "complete"]
    assert [frame.get("payload") for frame in frames[:2]] == [
        {"data": {"countdown": 2}},
        {"data": {"countdown": 1}},
    ]
    await ws.close()


async def test_ping_is_answered_with_pong(server: Server) -> None:
    ws = await connect(server)
    await send(ws, {"type": "ping", "payload": {"t": 1}})
    assert await receive(ws) == {"type": "pong", "payload": {"t": 1}}
    await ws.close()


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc"])
async def test_bad_credentials_close_with_4403(server: Server, authorization: str | None) -> None:
    ws = await connect(server)
    payload = {} if authorization is None else {"authorization": authorization}
    await send(ws, {"type": "connection_init", "payload": payload})
    assert await closed_with(ws) == (4403, "Forbidden")


async def test_token_expiring_during_a_subscription_closes_with_4403(server: Server) -> None:
    token, _ = server.issue(ttl=0.8)
    ws = await authed(server, token)
    await send(ws, subscribe("q", QUOTES, {"s": "AAPL"}))

    assert await closed_with(ws, within=2) == (4403, "Forbidden")
    await until(lambda: len(server.endpoint.executions) == 0)


async def test_no_connection_init_in_time_closes_with_4408(server: Server) -> None:
    ws = await connect(server)
    assert await closed_with(ws, within=2) == (4408, "Connection initialisation timeout")


async def test_second_connection_init_closes_with_4429(server: Server) -> None:
    token, _ = server.issue()
    ws = await authed(server, token)
    await send(ws, {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    assert await closed_with(ws) == (4429, "Too many initialisation requests")


async def test_subscribe_before_ack_closes_with_4401(server: Server) -> None:
    ws = await connect(server)
    await send(ws, subscribe("1", "{ whoami }"))
    assert await closed_with(ws) == (4401, "Unauthorized")


async def test_duplicate_operation_id_closes_with_4409(server: Server) -> None:
    ws = await authed(server)
    await send(ws, subscribe("dup", QUOTES, {"s": "AAPL"}))
    await send(ws, subscribe("dup", QUOTES, {"s": "MSFT"}))
    assert await closed_with(ws) == (4409, "Subscriber for dup already exists")
    await until(lambda: len(server.endpoint.executions) == 0)


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        json.dumps({"no": "type"}),
        json.dumps({"type": "start", "id": "1"}),
        json.dumps({"type": "next", "id": "1", "payload": {}}),
        json.dumps({"type": "subscribe", "payload": {"query": "{ whoami }"}}),
        json.dumps({"type": "subscribe", "id": "1", "payload": {"variables": {}}}),
    ],
)
async def test_invalid_messages_close_with_4400(server: Server, raw: str) -> None:
    ws = await authed(server)
    await ws.send(raw)
    code, _ = await closed_with(ws)
    assert code == 4400


async def test_legacy_graphql_ws_subprotocol_is_refused(server: Server) -> None:
    ws = await connect(server, subprotocol="graphql-ws")
    assert await closed_with(ws) == (4406, "Subprotocol not acceptable")


# -- errors ----------------------------------------------------------------------------------


async def test_invalid_documents_get_an_error_message_and_the_socket_stays_open(
    server: Server,
) -> None:
    ws = await authed(server)
    await send(ws, subscribe("bad", "subscription { nope }"))
    await send(ws, subscribe("rule", "{ broken }"))
    await send(ws, subscribe("perm", "subscription { secrets }"))

    bad, rule, perm = [await receive(ws) for _ in range(3)]
    await send(ws, subscribe("ok", "{ whoami }"))
    assert (await receive(ws))["type"] == "next"
    await ws.close()

    assert bad["type"] == rule["type"] == perm["type"] == "error"
    assert "nope" in bad["payload"][0]["message"]
    assert rule["payload"][0]["message"] == "The broken field is off limits."
    assert perm["payload"][0]["message"] == "You may not watch this."


async def test_unexpected_errors_are_masked(server: Server) -> None:
    server.endpoint._rules = server.endpoint._rules[:-1]  # let the broken field through
    ws = await authed(server)
    await send(ws, subscribe("1", "{ broken }"))

    result = await receive(ws)
    await ws.close()

    assert result["payload"]["errors"][0]["message"] == "Unexpected error."
    assert "hunter2" not in json.dumps(result)


async def test_subscriptions_per_socket_are_limited(server: Server) -> None:
    ws = await authed(server)
    for n in range(4):
        await send(ws, subscribe(str(n), QUOTES, {"s": f"S{n}"}))
    refused = await receive(ws)
    await ws.close()

    assert refused["id"] == "3" and refused["type"] == "error"


async def test_operations_beyond_the_per_socket_bound_wait_unread(server: Server) -> None:
    ws = await authed(server)
    for n in range(3):
        await send(ws, subscribe(f"g{n}", "{ gated }"))
    await until(lambda: server.resolver_runs["gated"] == 2)
    await send(ws, {"type": "ping"})

    with pytest.raises(TimeoutError):  # the socket is not read while two operations run
        await asyncio.wait_for(ws.recv(), 0.3)
    assert server.resolver_runs["gated"] == 2
    server.gate.set()
    frames = [await receive(ws) for _ in range(7)]
    await ws.close()

    assert server.resolver_runs["gated"] == 3
    assert sorted(f["id"] for f in frames if f["type"] == "complete") == ["g0", "g1", "g2"]
    assert {"type": "pong"} in frames


async def test_a_queued_operation_runs_with_the_role_current_when_it_starts(
    server: Server,
) -> None:
    token, principal = server.issue(role=Role.ADMIN)
    ws = await authed(server, token)
    await send(ws, subscribe("g1", "{ gated }"))
    await send(ws, subscribe("g2", "{ gated }"))
    await send(ws, subscribe("queued", "{ role }"))
    await until(lambda: server.resolver_runs["gated"] == 2)

    server.current_access[principal.user_id] = replace(principal, role=Role.VIEWER)
    server.gate.set()
    frames = [await receive(ws) for _ in range(6)]
    await ws.close()

    (queued,) = [f for f in frames if f["id"] == "queued" and f["type"] == "next"]
    assert queued["payload"] == {"data": {"role": Role.VIEWER.value}}


async def test_each_operation_is_authorized_with_the_current_role(server: Server) -> None:
    token, principal = server.issue(role=Role.ADMIN)
    ws = await authed(server, token)
    await send(ws, subscribe("before", "{ role }"))
    before = await receive(ws)
    await receive(ws)

    server.current_access[principal.user_id] = replace(principal, role=Role.VIEWER)
    await send(ws, subscribe("after", "{ role }"))
    after = await receive(ws)
    await ws.close()

    assert before["payload"] == {"data": {"role": Role.ADMIN.value}}
    assert after["payload"] == {"data": {"role": Role.VIEWER.value}}


async def test_a_message_over_the_size_cap_closes_with_1009(server: Server) -> None:
    ws = await authed(server)
    await send(ws, subscribe("big", "{ whoami }" + " " * 70_000))
    assert (await closed_with(ws))[0] == 1009


# -- access revocation -----------------------------------------------------------------------


async def test_demoted_member_is_disconnected_within_two_seconds(server: Server) -> None:
    token, principal = server.issue(role=Role.ADMIN)
    ws = await authed(server, token)
    await send(ws, subscribe("q", QUOTES, {"s": "AAPL"}))
    await until(lambda: sink_count(server) == 1)

    server.current_access[principal.user_id] = replace(principal, role=Role.VIEWER)
    await server.broker.publish(channels.user_access(principal.user_id), {"reason": "role"})

    assert await closed_with(ws, within=2) == (4403, "Forbidden")


async def test_removed_member_is_disconnected_and_unchanged_members_stay(server: Server) -> None:
    org = uuid.uuid4()
    removed_token, removed = server.issue(org=org)
    kept_token, kept = server.issue(org=org)
    removed_ws = await authed(server, removed_token)
    kept_ws = await authed(server, kept_token)

    server.current_access[removed.user_id] = None
    await server.broker.publish(channels.user_access(removed.user_id), {"reason": "removed"})
    await server.broker.publish(channels.user_access(kept.user_id), {"reason": "new session"})

    assert await closed_with(removed_ws, within=2) == (4403, "Forbidden")
    await send(kept_ws, subscribe("1", "{ whoami }"))
    assert (await receive(kept_ws))["type"] == "next"
    await kept_ws.close()


# -- shared execution ------------------------------------------------------------------------


async def test_identical_subscriptions_share_one_execution_per_event(server: Server) -> None:
    org, sockets = uuid.uuid4(), 25
    token, _ = server.issue(org=org)
    clients = [await authed(server, token) for _ in range(sockets)]
    for n, ws in enumerate(clients):
        await send(ws, subscribe(f"op-{n}", QUOTES, {"s": "AAPL"}))
    await until(lambda: sink_count(server) == sockets and hub_listening(server))

    for price in ("1", "2", "3"):
        await server.broker.publish(channels.price("AAPL"), {"price": price})
    received = [[await receive(ws) for _ in range(3)] for ws in clients]
    for ws in clients:
        await ws.close()

    assert server.endpoint.executions.executions_started == 1
    assert server.resolver_runs["AAPL"] == 3
    # Each event starts with fresh per-event state (DataLoaders) in the one shared context.
    assert [c.events_started for c in server.contexts] == [3]
    for n, frames in enumerate(received):
        assert {frame["id"] for frame in frames} == {f"op-{n}"}
        assert [frame["payload"]["data"]["quotes"]["price"] for frame in frames] == ["1", "2", "3"]


async def test_a_late_joiner_gets_the_latest_result_immediately(server: Server) -> None:
    token, _ = server.issue()
    first = await authed(server, token)
    await send(first, subscribe("a", QUOTES, {"s": "AAPL"}))
    await until(lambda: sink_count(server) == 1)
    await server.broker.publish(channels.price("AAPL"), {"price": "7"})
    await receive(first)

    late = await authed(server, token)
    await send(late, subscribe("b", QUOTES, {"s": "AAPL"}))
    replayed = await receive(late)

    assert replayed["id"] == "b"
    assert replayed["payload"]["data"]["quotes"]["price"] == "7"
    assert server.resolver_runs["AAPL"] == 1
    await first.close()
    await late.close()


async def test_different_variables_or_users_run_separate_executions(server: Server) -> None:
    org = uuid.uuid4()
    alice, _ = server.issue(org=org)
    bob, _ = server.issue(org=org)
    alice_ws, bob_ws = await authed(server, alice), await authed(server, bob)
    await send(alice_ws, subscribe("1", QUOTES, {"s": "AAPL"}))
    await send(alice_ws, subscribe("2", QUOTES, {"s": "MSFT"}))
    await send(bob_ws, subscribe("1", QUOTES, {"s": "AAPL"}))
    await until(lambda: sink_count(server) == 3)

    await server.broker.publish(channels.price("AAPL"), {"price": "1"})
    await server.broker.publish(channels.price("MSFT"), {"price": "2"})
    frames = [await receive(alice_ws), await receive(alice_ws), await receive(bob_ws)]
    await alice_ws.close()
    await bob_ws.close()

    assert server.endpoint.executions.executions_started == 3
    assert server.resolver_runs == Counter({"AAPL": 2, "MSFT": 1})
    assert {frame["id"] for frame in frames[:2]} == {"1", "2"}


async def test_public_subscriptions_are_shared_across_users_and_tenants(server: Server) -> None:
    clients = [await authed(server) for _ in range(5)]  # each a different user and org
    for ws in clients:
        await send(ws, subscribe("p", PUBLIC_QUOTES, {"s": "AAPL"}))
    await until(lambda: sink_count(server) == 5)

    await server.broker.publish(channels.price("AAPL"), {"price": "9"})
    for ws in clients:
        assert (await receive(ws))["payload"]["data"]["publicQuotes"]["price"] == "9"
        await ws.close()

    assert server.endpoint.executions.executions_started == 1
    assert server.resolver_runs["AAPL"] == 1


async def test_execution_stops_when_its_last_subscriber_disconnects(server: Server) -> None:
    clients = [await authed(server) for _ in range(3)]
    for ws in clients:
        await send(ws, subscribe("p", PUBLIC_QUOTES, {"s": "AAPL"}))
    await until(lambda: sink_count(server) == 3)

    for ws in clients[:2]:
        await ws.close()
    await until(lambda: sink_count(server) == 1)
    assert len(server.endpoint.executions) == 1

    await clients[2].close()
    await until(lambda: len(server.endpoint.executions) == 0)
    await until(lambda: server.hub.local_channel_count == 0)


# -- the per-socket queue --------------------------------------------------------------------


async def test_slow_socket_queue_keeps_the_latest_frames_and_every_control_frame() -> None:
    queue = OutboundQueue(capacity=4)
    queue.put_control("ack")
    for n in range(10):
        queue.put_next("a", f"a{n}")
    queue.put_next("b", "b0")
    queue.put_control("complete-a")

    frames = [(await queue.get())[1] for _ in range(len(queue))]

    assert frames == ["ack", "a7", "a8", "a9", "b0", "complete-a"]
