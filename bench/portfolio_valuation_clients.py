"""The client side of bench/portfolio_valuation.py, run in its own process: N sockets
speaking graphql-transport-ws, each subscribed to ``portfolioValuation`` of one portfolio.
Records, per message, its receipt time and ``asOf`` (the newest tick it reflects); after
the run, given every tick's publish time, it computes two latencies:
* newest tick: receipt - ``asOf``;
* every tick: for each tick of an instrument the socket's portfolio holds, the time from
  its publish to the first message reflecting it (``asOf`` >= its publish time: the hub
  delivers a process's channels in publish order, so a valuation reflecting a tick
  reflects every earlier one).
"""

from __future__ import annotations

import asyncio
import bisect
import json
import resource
import time
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

import uvloop
import websockets

QUERY = """subscription($id: ID!) { portfolioValuation(portfolioId: $id) {
  marketValue dayChange unrealizedGain cash totalValue asOf
  holdings { instrument { symbol } price marketValue dayChange } } }"""


class Stats:
    def __init__(self, sockets: int) -> None:
        self.measuring_since: float | None = None
        self.received = 0
        self.primed = 0
        self.failures: dict[str, int] = {}
        self.messages: list[list[tuple[float, float]]] = [[] for _ in range(sockets)]
        """Per socket: (receipt, asOf) of each message in the window."""


async def _socket(url: str, token: str, portfolio: str, index: int, stats: Stats) -> None:
    try:
        ws = await websockets.connect(
            url, subprotocols=["graphql-transport-ws"], open_timeout=60, max_queue=None
        )
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        if json.loads(await ws.recv())["type"] != "connection_ack":
            raise RuntimeError("no connection_ack")
    except (OSError, RuntimeError, TimeoutError, websockets.ConnectionClosed) as error:
        kind = type(error).__name__
        stats.failures[kind] = stats.failures.get(kind, 0) + 1
        return
    payload = {"query": QUERY, "variables": {"id": portfolio}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    primed = False
    mine = stats.messages[index]
    try:
        async for raw in ws:
            now = time.time()
            message = json.loads(raw)
            if message["type"] != "next" or "errors" in message["payload"]:
                print("unexpected", str(message)[:300], flush=True)
                return
            if not primed:
                primed = True
                stats.primed += 1
            since = stats.measuring_since
            as_of = message["payload"]["data"]["portfolioValuation"]["asOf"]
            if since is None or now < since or as_of is None:
                continue
            stats.received += 1
            mine.append((now, datetime.fromisoformat(as_of).timestamp()))
    except websockets.ConnectionClosed:
        return


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values.sort()
    return values[min(len(values) - 1, int(len(values) * q))]


def latencies(
    messages: list[list[tuple[float, float]]],
    holdings: list[list[str]],
    ticks: dict[str, list[float]],
    since: float,
) -> tuple[list[float], list[float]]:
    newest: list[float] = []
    every: list[float] = []
    for received, symbols in zip(messages, holdings, strict=True):
        newest.extend(now - as_of for now, as_of in received)
        if not received:
            continue
        published = sorted(t for s in symbols for t in ticks.get(s, ()) if t >= since)
        as_ofs = [as_of for _, as_of in received]
        for at in published:
            first = bisect.bisect_left(as_ofs, at - 1e-6)
            if first < len(received):
                every.append(received[first][0] - at)
    return newest, every


async def _run(
    url: str, tokens: list[str], portfolios: list[str], holdings: list[list[str]], pipe: Connection
) -> None:
    stats = Stats(len(portfolios))
    loop = asyncio.get_running_loop()
    tasks = [
        asyncio.create_task(_socket(url, token, portfolio, n, stats))
        for n, (token, portfolio) in enumerate(zip(tokens, portfolios, strict=True))
    ]
    deadline = time.perf_counter() + 120
    while stats.primed + sum(stats.failures.values()) < len(portfolios):
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.05)
    pipe.send({"ready": stats.primed, "failures": stats.failures})
    stats.measuring_since = await loop.run_in_executor(None, pipe.recv)
    ticks: dict[str, list[float]] = await loop.run_in_executor(None, pipe.recv)  # stop
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert stats.measuring_since is not None
    newest, every = latencies(stats.messages, holdings, ticks, stats.measuring_since)
    pipe.send(
        {
            "received": stats.received,
            "newest_p50": _percentile(newest, 0.5),
            "newest_p99": _percentile(newest, 0.99),
            "every_p50": _percentile(every, 0.5),
            "every_p99": _percentile(every, 0.99),
            "every_max": max(every, default=0.0),
            "ticks_seen": len(every),
        }
    )


def run_clients(
    url: str,
    tokens: list[str],
    portfolios: list[str],
    holdings: list[list[str]],
    pipe: Connection,
) -> Any:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, len(portfolios) + 512)), hard))
    uvloop.run(_run(url, tokens, portfolios, holdings, pipe))
