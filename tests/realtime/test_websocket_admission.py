"""connection_init under a reconnect storm: bounded, shared session checks; 4408 only for a
client that sent no connection_init, never for a server busy authenticating."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from fiscus.config import RealtimeSettings
from fiscus.domain.identity import Principal, Role
from fiscus.realtime.hub import Hub
from fiscus.transport.websocket import GraphQLWebSocketEndpoint
from tests.realtime.test_websocket_protocol import SCHEMA, closed_with


@dataclass
class SlowAuth:
    """An authentication that takes ``seconds`` (a database under a storm)."""

    seconds: float
    calls: int = 0
    running: int = 0
    most_at_once: int = 0
    principals: dict[str, Principal] = field(default_factory=dict)

    async def authenticate(self, payload: dict[str, Any]) -> Principal:
        self.calls += 1
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await asyncio.sleep(self.seconds)
        finally:
            self.running -= 1
        token = payload["authorization"]
        return self.principals.setdefault(
            token,
            Principal(
                uuid.uuid4(),
                uuid.uuid4(),
                Role.MEMBER,
                uuid.uuid4(),
                datetime.now(UTC) + timedelta(hours=1),
            ),
        )

    async def revalidate(self, principal: Principal) -> Principal:
        return principal


@pytest.fixture
async def serve(hub: Hub) -> AsyncIterator[Any]:
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(auth: SlowAuth, **settings: Any) -> str:
        async def context(principal: Principal, address: str | None = None) -> None:
            return None

        endpoint = GraphQLWebSocketEndpoint(
            SCHEMA,
            hub=hub,
            authenticate=auth.authenticate,
            revalidate=auth.revalidate,
            context_factory=context,
            settings=RealtimeSettings(**settings),
        )
        app = Starlette(routes=[WebSocketRoute("/graphql", endpoint)])
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn exposes no startup event
            await asyncio.sleep(0.01)
        servers.append((server, task))
        return f"ws://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/graphql"

    yield start
    for server, task in servers:
        server.should_exit = True
        await task


async def init(url: str, token: str) -> Any:
    ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": token}}))
    return ws


async def acked(ws: Any) -> bool:
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    return bool(message == {"type": "connection_ack"})


async def test_a_received_init_is_not_timed_out_while_the_server_authenticates(serve):
    auth = SlowAuth(seconds=0.8)
    url = await serve(auth, init_timeout_seconds=0.3)
    ws = await init(url, "t1")
    assert await acked(ws)  # 0.8 s after connecting, past the 0.3 s init deadline
    silent = await websockets.connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    assert await closed_with(silent, within=2) == (4408, "Connection initialisation timeout")
    await ws.close()


async def test_a_storm_is_checked_a_few_at_a_time_and_one_sessions_sockets_share_a_check(serve):
    auth = SlowAuth(seconds=0.1)
    url = await serve(auth, init_timeout_seconds=0.2, max_concurrent_authentications=3)
    tokens = [f"session-{n % 10}" for n in range(30)]  # 10 sessions, 3 sockets each
    sockets = await asyncio.gather(*(init(url, token) for token in tokens))
    assert all(await asyncio.gather(*(acked(ws) for ws in sockets)))
    assert auth.most_at_once <= 3
    assert auth.calls < 30  # sockets of one session waited for one answer
    for ws in sockets:
        await ws.close()


async def test_authentication_past_its_deadline_closes_with_try_again_later(serve):
    auth = SlowAuth(seconds=5)
    url = await serve(auth, init_timeout_seconds=0.2, auth_timeout_seconds=0.5)
    ws = await init(url, "t1")
    assert await closed_with(ws, within=3) == (1013, "Try again later")
