"""A small graphql-transport-ws client for tests against the real app under uvicorn."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from fiscus.app import create_app
from fiscus.config import Settings
from tests.conftest import running
from tests.graphql_client import gql, sign_up
from tests.live_server import LiveServer

_ids = itertools.count(1)


async def connect(live: LiveServer, token: str) -> ClientConnection:
    ws = await websockets.connect(
        f"ws://127.0.0.1:{live.port}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        max_size=None,
    )
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert ack == {"type": "connection_ack"}, ack
    return ws


def subscribe_message(
    op_id: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    return {"id": op_id, "type": "subscribe", "payload": payload}


async def execute(
    ws: ClientConnection, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run one query or mutation; the result as HTTP would show it: ``{"data", "errors"}``
    from a ``next`` frame, or ``{"errors": [...]}`` from an ``error`` frame."""
    op_id = f"op-{next(_ids)}"
    await ws.send(json.dumps(subscribe_message(op_id, query, variables)))
    return await result_of(ws, op_id)


async def result_of(ws: ClientConnection, op_id: str, within: float = 10) -> dict[str, Any]:
    result: dict[str, Any] | None = None
    async with asyncio.timeout(within):
        while True:
            message = json.loads(await ws.recv())
            if message.get("id") != op_id:
                continue
            if message["type"] == "next":
                result = message["payload"]
            elif message["type"] == "error":
                return {"errors": message["payload"]}
            elif message["type"] == "complete":
                assert result is not None, "complete before any result"
                return result


async def closed_with(ws: ClientConnection, within: float = 5) -> int:
    try:
        async with asyncio.timeout(within):
            while True:
                await ws.recv()
    except websockets.ConnectionClosed as closed:
        assert closed.rcvd is not None
        return closed.rcvd.code
    raise AssertionError("the socket stayed open")  # pragma: no cover


Run = Callable[[str, dict[str, Any] | None], Awaitable[dict[str, Any]]]


@asynccontextmanager
async def signed_up_runner(
    transport: str, settings: Settings, email: str = "ada@example.com"
) -> AsyncIterator[Run]:
    """A new account on a fresh real app, and a way to run operations as it: over HTTP
    (httpx's ASGI transport) or over a WebSocket (uvicorn, graphql-transport-ws)."""
    app = create_app(settings)
    if transport == "http":
        async with running(app) as client:
            account = await sign_up(client, email)

            async def over_http(query: str, variables: dict[str, Any] | None = None) -> Any:
                return await gql(client, query, variables, token=account.token)

            yield over_http
        return
    with LiveServer(app, lifespan="on", ws="websockets-sansio") as live:
        async with httpx.AsyncClient(base_url=live.url) as http:
            account = await sign_up(http, email)
        ws = await connect(live, account.token)

        async def over_websocket(query: str, variables: dict[str, Any] | None = None) -> Any:
            return await execute(ws, query, variables)

        try:
            yield over_websocket
        finally:
            await ws.close()
