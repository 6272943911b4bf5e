"""portfolioValuation under ticks: N WebSocket subscribers over P portfolios while I
instruments tick R times a second each, published through the real broker as the streamer
publishes them, against one ``fiscus serve`` process.

Seeds a scratch database through the real services (I global instruments with closes, one
organization, P portfolios of H holdings each, recorded as transactions), one session per
socket (as many devices), sockets spread evenly over the portfolios. Clients run in another
process (bench/portfolio_valuation_clients.py). Prints deliveries/s, the newest reflected
tick's latency (receipt - asOf) and every tick's latency to the first valuation reflecting
it (p50/p99/max), the server's CPU per delivered message, and valuations computed per
second (the engine's counter, from /metrics) next to the most the coalescing allows
(P / interval): one valuation per portfolio per batch, however many sockets watch it.

    PYTHONPATH=. python bench/portfolio_valuation.py [--sockets 1000] [--portfolios 100]
        [--instruments 50] [--rate 10] [--holdings 20] [--duration 10]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import os
import re
import signal
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import psutil
import redis.asyncio as aioredis
from harness import (  # type: ignore[import-not-found]
    ADMIN_URL,
    REDIS_URL,
    admin,
    bench_settings,
    delete_prefix,
    free_port,
    start_server,
    wait_ready,
)
from portfolio_seed import seed_instruments, seed_portfolios  # type: ignore[import-not-found]
from portfolio_valuation_clients import run_clients  # type: ignore[import-not-found]
from sqlalchemy import make_url

from fiscus.config import RealtimeSettings
from fiscus.domain.identity import Principal, Role
from fiscus.domain.marketdata import Quote
from fiscus.persistence.migrate import upgrade
from fiscus.realtime import channels
from fiscus.realtime.broker import Broker
from fiscus.runtime import Runtime
from fiscus.services.credentials import AccessTokens
from fiscus.services.identity import auth
from fiscus.services.marketdata.live import tick_payload

DRAIN_SECONDS = 1.0


async def main() -> None:
    args = _arguments()
    name = f"fiscus_bench_valuation_{os.getpid()}"
    prefix = f"fiscus-bench-{uuid.uuid4().hex[:8]}"
    await admin(f"CREATE DATABASE {name}")
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            settings = bench_settings(name, prefix, Path(data_dir))
            await asyncio.to_thread(upgrade, settings)
            portfolios, holdings, symbols, tokens = await _seed(settings, name, args)
            await _run(settings, args, portfolios, holdings, symbols, tokens)
    finally:
        await admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await delete_prefix(prefix)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--portfolios", type=int, default=100)
    parser.add_argument("--instruments", type=int, default=50)
    parser.add_argument("--holdings", type=int, default=20)
    parser.add_argument("--rate", type=float, default=10.0, help="ticks/s per instrument")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=None, help="valuation interval, s")
    args = parser.parse_args()
    if args.holdings > args.instruments or args.sockets < args.portfolios:
        parser.error("holdings <= instruments, sockets >= portfolios")
    return args


async def _seed(
    settings: object, database: str, args: argparse.Namespace
) -> tuple[list[str], list[list[str]], list[str], list[str]]:
    runtime = await Runtime.open(settings)  # type: ignore[arg-type]
    owner_url = make_url(ADMIN_URL).set(drivername="postgresql", database=database)
    owner = await asyncpg.connect(owner_url.render_as_string(hide_password=False))
    try:
        account = await auth.sign_up(
            runtime.identity,
            email="valuation@bench.example",
            password="bench-password-123",
            display_name="Bench",
            organization_name="Bench Org",
        )
        principal = Principal(
            account.user.id,
            account.organization.id,
            Role.OWNER,
            uuid.uuid4(),
            datetime.now(UTC) + timedelta(hours=1),
        )
        instruments = await seed_instruments(
            owner, args.instruments, until=datetime.now(UTC).date(), days=30
        )
        ids = await seed_portfolios(
            runtime,
            principal,
            instruments,
            portfolios=args.portfolios,
            holdings=args.holdings,
            name="Live",
        )
        held = await owner.fetch(
            "SELECT h.portfolio_id, i.symbol FROM portfolio_holdings h"
            " JOIN instruments i ON i.id = h.instrument_id"
        )
        by_portfolio: dict[uuid.UUID, list[str]] = {}
        for row in held:
            by_portfolio.setdefault(row[0], []).append(row[1])
        now = datetime.now(UTC)
        sessions = [uuid.uuid4() for _ in range(args.sockets)]
        await owner.executemany(
            "INSERT INTO auth_sessions (id, user_id, active_organization_id, expires_at,"
            " created_at) VALUES ($1, $2, $3, $4, $5)",
            [
                (sid, account.user.id, account.organization.id, now + timedelta(days=1), now)
                for sid in sessions
            ],
        )
    finally:
        await owner.close()
        await runtime.close()
    issuer = AccessTokens(settings.auth)  # type: ignore[attr-defined]
    tokens = [
        issuer.issue(
            user_id=account.user.id,
            org_id=account.organization.id,
            role=account.role,
            session_id=sid,
        ).token
        for sid in sessions
    ]
    portfolios = [ids[n % len(ids)] for n in range(args.sockets)]
    return (
        [_global_id(p) for p in portfolios],
        [by_portfolio[p] for p in portfolios],
        [i.symbol for i in instruments],
        tokens,
    )


def _global_id(portfolio_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"Portfolio:{portfolio_id}".encode()).decode()


async def _run(
    settings: object,
    args: argparse.Namespace,
    portfolios: list[str],
    holdings: list[list[str]],
    symbols: list[str],
    tokens: list[str],
) -> None:
    port = free_port()
    interval = args.interval or RealtimeSettings().valuation_interval_seconds
    extra = {"FISCUS_REALTIME_VALUATION_INTERVAL_SECONDS": str(interval)}
    server = start_server(settings, port, extra_env=extra)  # type: ignore[arg-type]
    redis = aioredis.Redis.from_url(REDIS_URL)
    broker = Broker(redis, settings.redis.prefix, snapshot_ttl=600)  # type: ignore[attr-defined]
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    clients = None
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(server, base)
        for symbol in symbols:  # every instrument has a live price before anyone watches
            await broker.publish(channels.price(symbol), _tick(symbol))
        clients = multiprocessing.get_context("spawn").Process(
            target=run_clients,
            args=(base.replace("http", "ws") + "/graphql", tokens, portfolios, holdings, theirs),
        )
        loop = asyncio.get_running_loop()
        storm = time.perf_counter()
        clients.start()
        ready = await loop.run_in_executor(None, ours.recv)
        ready_seconds = time.perf_counter() - storm
        await asyncio.sleep(1.0)
        process = psutil.Process(server.pid)
        computed_before = await _valuations(base)
        cpu_before = sum(process.cpu_times()[:2])
        started = time.time()
        ours.send(started)
        ticks: dict[str, list[float]] = {s: [] for s in symbols}
        rate = args.rate * len(symbols)
        published = 0
        while (elapsed := time.time() - started) < args.duration:
            due = int(elapsed * rate) + 1
            batch = []
            while published < due:
                symbol = symbols[published % len(symbols)]
                payload = _tick(symbol)
                ticks[symbol].append(datetime.fromisoformat(str(payload["at"])).timestamp())
                batch.append(broker.publish(channels.price(symbol), payload))
                published += 1
            await asyncio.gather(*batch)  # the ticks due now, pipelined
            await asyncio.sleep(max(0.0, (published / rate) - (time.time() - started)))
        measured = time.time() - started
        await asyncio.sleep(DRAIN_SECONDS)
        cpu = sum(process.cpu_times()[:2]) - cpu_before
        computed = await _valuations(base) - computed_before
        ours.send(ticks)
        result = await loop.run_in_executor(None, ours.recv)
    finally:
        if clients is not None:
            clients.join(60)
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        await redis.aclose()
    received = result["received"]
    print(
        f"portfolio_valuation: {args.sockets} sockets over {args.portfolios} portfolios "
        f"({args.holdings} holdings each), {len(symbols)} instruments x {args.rate:g} ticks/s "
        f"({published / measured:,.0f} ticks/s published), {args.duration:g} s, "
        f"valuation interval {interval * 1000:.0f} ms; cpus={os.cpu_count()}"
    )
    print(
        f"  ready: {ready['ready']} sockets subscribed in {ready_seconds:.1f} s "
        f"(failures: {ready['failures'] or 'none'})"
    )
    print(f"  deliveries: {received:,} ({received / measured:,.0f}/s)")
    print(
        f"  latency, newest tick reflected (receipt - asOf): p50 {result['newest_p50'] * 1000:.1f}"
        f" ms, p99 {result['newest_p99'] * 1000:.1f} ms"
    )
    print(
        f"  latency, every tick to the first valuation reflecting it ({result['ticks_seen']:,} "
        f"tick x socket pairs): p50 {result['every_p50'] * 1000:.1f} ms, p99 "
        f"{result['every_p99'] * 1000:.1f} ms, max {result['every_max'] * 1000:.1f} ms"
    )
    print(
        f"  server CPU: {cpu / measured * 100:.0f}% of a core, "
        f"{cpu / max(received, 1) * 1e6:.1f} us per delivered message"
    )
    print(
        "  load average (1, 5, 15 min) at the end: "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
        + f" (the server's share of a core: {cpu / measured * 100:.0f}%)"
    )
    print(
        f"  valuations computed: {computed:,.0f} ({computed / measured:,.0f}/s; at most "
        f"{args.portfolios / interval:,.0f}/s: one per portfolio per {interval * 1000:.0f} ms "
        f"batch, for {args.sockets / args.portfolios:g} sockets per portfolio)"
    )


def _tick(symbol: str) -> dict[str, object]:
    price = Decimal(100) + Decimal(int.from_bytes(os.urandom(2), "big") % 1000) / 100
    quote = Quote(symbol, price, Decimal(100), 1_000_000, datetime.now(UTC))
    return tick_payload(quote)


async def _valuations(base: str) -> float:
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        text = (await client.get("/metrics")).text
    found = re.search(r"^fiscus_portfolio_valuations_total ([\d.e+]+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


if __name__ == "__main__":
    asyncio.run(main())
