"""Fan-out throughput: N sockets in one process watching the same subscription.

Runs the real endpoint under uvicorn on loopback with a real Redis; N websocket clients run
in a separate process (so their cost is not the server's), M events are published, and the
script reports delivered messages per second (wall clock) and the *server process's* CPU
microseconds per delivered message.

    python bench/realtime_fanout.py --sockets 1000 --events 50 [--redis redis://127.0.0.1:6379]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import time
import uuid
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

import redis.asyncio as aioredis
import strawberry
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from strawberry.types import Info

from fiscus.config import RealtimeSettings
from fiscus.domain.identity import Principal, Role
from fiscus.realtime import channels
from fiscus.realtime.broker import Broker
from fiscus.realtime.hub import Hub
from fiscus.transport.websocket import PUBLIC_SCOPE_METADATA, GraphQLWebSocketEndpoint

SUBSCRIPTION = 'subscription { price(symbol: "AAPL") { price seq } }'


@strawberry.type
class Quote:
    price: str
    seq: int


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription(metadata=PUBLIC_SCOPE_METADATA)  # type: ignore[untyped-decorator]
    async def price(self, info: Info[Hub, None], symbol: str) -> AsyncGenerator[Quote, None]:
        async with info.context.subscribe(channels.price(symbol)) as events:
            async for envelope in events:
                yield Quote(price=envelope.payload["price"], seq=envelope.seq)


def _principal() -> Principal:
    return Principal(
        user_id=uuid.uuid4(),
        org_id=uuid.uuid4(),
        role=Role.VIEWER,
        session_id=uuid.uuid4(),
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )


async def _client(url: str, events: int, ready: asyncio.Event, counter: list[int]) -> None:
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        await ws.recv()
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
        )
        ready.set()
        while True:
            message = json.loads(await ws.recv())
            counter[0] += 1
            if message["payload"]["data"]["price"]["seq"] >= events:
                return


async def _clients(url: str, sockets: int, events: int, report: Connection) -> None:
    counter = [0]
    readiness = [asyncio.Event() for _ in range(sockets)]
    tasks = [asyncio.create_task(_client(url, events, ready, counter)) for ready in readiness]
    await asyncio.gather(*(ready.wait() for ready in readiness))
    report.send("subscribed")
    await asyncio.gather(*tasks)
    report.send(counter[0])


def _client_process(url: str, sockets: int, events: int, report: Connection) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, sockets + 256)), hard))
    asyncio.run(_clients(url, sockets, events, report))


def _attached(endpoint: GraphQLWebSocketEndpoint) -> int:
    return sum(len(e.sinks) for e in endpoint.executions._running.values())


async def main(sockets: int, events: int, redis_url: str) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, sockets * 2 + 256)), hard))
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    redis = aioredis.Redis.from_url(redis_url)
    broker = Broker(redis, prefix, snapshot_ttl=60)
    hub = Hub(redis, broker, queue_size=256)
    await hub.start()

    async def authenticate(_: dict[str, Any]) -> Principal:
        return _principal()

    async def revalidate(principal: Principal) -> Principal:
        return principal

    async def context_factory(_: Principal, client_address: str | None = None) -> Hub:
        return hub

    endpoint = GraphQLWebSocketEndpoint(
        strawberry.Schema(query=Query, subscription=Subscription),
        hub=hub,
        authenticate=authenticate,
        revalidate=revalidate,
        context_factory=context_factory,
        settings=RealtimeSettings(subscriber_queue_size=events + 8),
    )
    app = Starlette(routes=[WebSocketRoute("/graphql", endpoint)])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes no startup event
        await asyncio.sleep(0.01)
    url = f"ws://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/graphql"

    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    clients = multiprocessing.get_context("spawn").Process(
        target=_client_process, args=(url, sockets, events, theirs)
    )
    clients.start()
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, ours.recv) == "subscribed"
    while _attached(endpoint) < sockets:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # let the shared execution's Redis subscription settle

    started, cpu_started = time.perf_counter(), time.process_time()
    for n in range(events):
        await broker.publish(channels.price("AAPL"), {"price": f"{100 + n / 100:.2f}"})
    delivered = int(await loop.run_in_executor(None, ours.recv))
    elapsed, server_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    clients.join()
    print(
        f"sockets={sockets} events={events} delivered={delivered} "
        f"shared_executions={endpoint.executions.executions_started} "
        f"resolver_events={endpoint.executions.events_executed}"
    )
    print(
        f"elapsed={elapsed:.3f}s  {delivered / elapsed:,.0f} delivered msg/s  "
        f"server CPU {server_cpu:.3f}s = {server_cpu / delivered * 1e6:.1f} us "
        "per delivered message"
    )

    server.should_exit = True
    await serving
    await hub.stop()
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.sockets, arguments.events, arguments.redis))
