"""The floor of bench/price_fanout.py: a bare WebSocket relay, no GraphQL.

It speaks just enough graphql-transport-ws for the same clients (ack, subscribe with
``variables.symbols``, ``next`` frames) and forwards fiscus's Redis price messages to the
sockets that watch the symbol: one JSON frame built per message, broadcast as is.

    python bench/price_relay.py PORT REDIS_URL PREFIX
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import defaultdict
from typing import Any

import redis.asyncio as aioredis
import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve


async def main(port: int, redis_url: str, prefix: str) -> None:
    redis = aioredis.Redis.from_url(redis_url)
    pubsub = redis.pubsub()
    watchers: defaultdict[str, set[ServerConnection]] = defaultdict(set)
    head = f"{prefix}:ch:price:"

    async def relay() -> None:
        await pubsub.psubscribe(head + "*")
        async for message in pubsub.listen():
            if message["type"] != "pmessage":
                continue
            symbol = message["channel"].decode()[len(head) :]
            broadcast(watchers.get(symbol, ()), _frame(json.loads(message["data"])))

    async def handle(ws: ServerConnection) -> None:
        watched: list[str] = []
        try:
            async for raw in ws:
                message: dict[str, Any] = json.loads(raw)
                if message["type"] == "connection_init":
                    await ws.send('{"type":"connection_ack"}')
                elif message["type"] == "subscribe":
                    symbols = [s.upper() for s in message["payload"]["variables"]["symbols"]]
                    for symbol in symbols:
                        watchers[symbol].add(ws)
                        watched.append(symbol)
                    keys = [f"{prefix}:snapshot:price:{symbol}" for symbol in symbols]
                    for raw_snapshot in await redis.mget(keys):
                        if raw_snapshot is not None:
                            await ws.send(_frame(json.loads(raw_snapshot)))
        finally:
            for symbol in watched:
                watchers[symbol].discard(ws)

    relaying = asyncio.create_task(relay())
    async with serve(handle, "127.0.0.1", port, subprotocols=["graphql-transport-ws"]):  # type: ignore[list-item]
        print("listening", flush=True)
        await relaying


def _frame(envelope: dict[str, Any]) -> str:
    tick = envelope["payload"]
    tick["seq"] = envelope["seq"]
    data = {"id": "1", "type": "next", "payload": {"data": {"priceUpdates": tick}}}
    return json.dumps(data, separators=(",", ":"))


if __name__ == "__main__":
    uvloop.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
