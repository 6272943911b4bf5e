"""The client side of bench/price_fanout.py, run in its own process: N sockets speaking
graphql-transport-ws, each subscribed to its own list of symbols; records connection_init
times, publish-to-receipt latency (from each tick's ``at``) and sequence gaps."""

from __future__ import annotations

import asyncio
import json
import resource
import time
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

import uvloop
import websockets

QUERY = (
    "subscription Prices($symbols: [String!]!) { priceUpdates(symbols: $symbols) "
    "{ symbol price change changePercent dayVolume at seq } }"
)


class Stats:
    def __init__(self) -> None:
        self.measuring_since: float | None = None
        self.latencies: list[float] = []
        self.gaps = 0
        self.received = 0
        self.init_seconds: list[float] = []
        self.init_failures: dict[str, int] = {}
        self.primed = 0


async def _socket(url: str, token: str, symbols: list[str], stats: Stats) -> Any:
    started = time.perf_counter()
    try:
        ws = await websockets.connect(
            url,
            subprotocols=["graphql-transport-ws"],
            open_timeout=30,
            max_queue=None,  # type: ignore[list-item]
        )
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        ack = json.loads(await ws.recv())
        if ack["type"] != "connection_ack":
            raise RuntimeError(ack["type"])
    except websockets.ConnectionClosed as closed:
        code = str(closed.rcvd.code if closed.rcvd else "closed")
        stats.init_failures[code] = stats.init_failures.get(code, 0) + 1
        return
    except (OSError, RuntimeError, TimeoutError) as error:
        kind = type(error).__name__
        stats.init_failures[kind] = stats.init_failures.get(kind, 0) + 1
        return
    stats.init_seconds.append(time.perf_counter() - started)
    payload = {"query": QUERY, "variables": {"symbols": symbols}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    last: dict[str, int] = {}
    primed = False
    try:
        async for raw in ws:
            now = time.time()
            message = json.loads(raw)
            if message["type"] != "next":
                print("unexpected", message, flush=True)
                return
            tick = message["payload"]["data"]["priceUpdates"]
            if not primed:
                primed = True
                stats.primed += 1
            symbol, seq = tick["symbol"], tick["seq"]
            previous = last.get(symbol)
            last[symbol] = seq
            since = stats.measuring_since
            if since is None or now < since:
                continue
            at = datetime.fromisoformat(tick["at"]).timestamp()
            if at < since:
                continue  # a snapshot of a tick published before the window
            stats.received += 1
            stats.latencies.append(now - at)
            if previous is not None and seq > previous + 1:
                stats.gaps += seq - previous - 1
    except websockets.ConnectionClosed:
        return


async def _run(url: str, tokens: list[str], plans: list[list[str]], pipe: Connection) -> None:
    stats = Stats()
    loop = asyncio.get_running_loop()
    tasks = [
        asyncio.create_task(_socket(url, token, plan, stats))
        for token, plan in zip(tokens, plans, strict=True)
    ]
    deadline = time.perf_counter() + 60
    while stats.primed + sum(stats.init_failures.values()) < len(plans):
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.05)
    inits = sorted(stats.init_seconds) or [0.0]
    pipe.send(
        {
            "ready": stats.primed,
            "init_p50": inits[len(inits) // 2],
            "init_max": inits[-1],
            "init_failures": stats.init_failures,
        }
    )
    stats.measuring_since = await loop.run_in_executor(None, pipe.recv)
    await loop.run_in_executor(None, pipe.recv)  # stop
    latencies = sorted(stats.latencies) or [0.0]
    pipe.send(
        {
            "received": stats.received,
            "gaps": stats.gaps,
            "p50": latencies[len(latencies) // 2],
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        }
    )
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def run_clients(url: str, tokens: list[str], plans: list[list[str]], pipe: Connection) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, len(plans) + 512)), hard))
    uvloop.run(_run(url, tokens, plans, pipe))
