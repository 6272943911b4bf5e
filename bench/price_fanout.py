"""priceUpdates fan-out: fiscus against a bare relay (the floor) and the Node reference
(graphql-ws + graphql-js), in the same run, on loopback.

Scenarios (ticks published through the real broker, as the streamer does):
- same:  N sockets x the same 50 symbols, 10 ticks/s in total;
- mixed: N sockets x a random 20 of 500 symbols, 100 ticks/s spread over the 500;
- ladder: "same" on fiscus alone at growing socket counts: the largest with p99 < 100 ms.
Clients run in another process. Per scenario: deliveries/s, p50/p99 publish-to-receipt,
server CPU us per delivered message, missing deliveries (fiscus: and how many of them it
declared as conflated), connection_init times.

    PYTHONPATH=. python bench/price_fanout.py [--sockets 1000] [--duration 8]
        [--servers fiscus,relay,node] [--scenarios same,same5k,mixed] [--ladder 1000,2000,3000,5000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import psutil
import redis.asyncio as aioredis
from pydantic import SecretStr
from sqlalchemy import make_url

from bench.price_clients import run_clients
from fiscus.config import Settings
from fiscus.persistence.migrate import upgrade
from fiscus.realtime import channels
from fiscus.realtime.broker import Broker
from fiscus.runtime import Runtime
from fiscus.services.credentials import AccessTokens
from fiscus.services.identity.auth import sign_up

ADMIN_URL = os.environ.get(
    "FISCUS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("FISCUS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "bench-secret-" + "x" * 40
NODE_DIR = Path(__file__).parent / "node_reference"
SYMBOLS = [f"S{n:03d}" for n in range(500)]
MAX_SOCKETS = 8000
DRAIN_SECONDS = 2.0
"""After the last publish, before counting: a tick still in flight then counts as missing."""
PROFILE = os.environ.get("FISCUS_BENCH_PROFILE")  # py-spy's collapsed stacks of fiscus, here


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _plans(scenario: str, sockets: int, rng: random.Random) -> tuple[list[list[str]], float]:
    """Each socket's symbols, and ticks per second in total."""
    if scenario == "mixed":
        return [rng.sample(SYMBOLS, 20) for _ in range(sockets)], 100.0
    return [SYMBOLS[:50] for _ in range(sockets)], 10.0


# -- servers -------------------------------------------------------------------------------


def _start(kind: str, port: int, settings: Settings) -> subprocess.Popen[bytes]:
    prefix = settings.redis.prefix
    if kind == "relay":
        command = [sys.executable, "bench/price_relay.py", str(port), REDIS_URL, prefix]
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kind == "node":
        if not (NODE_DIR / "node_modules").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)
        command = ["node", "server.mjs", str(port), REDIS_URL, prefix]
        return subprocess.Popen(
            command, cwd=NODE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    assert settings.database.url is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("FISCUS_")}
    env.update(
        FISCUS_DATABASE_URL=settings.database.url.get_secret_value(),
        FISCUS_REDIS_URL=REDIS_URL,
        FISCUS_REDIS_PREFIX=prefix,
        FISCUS_AUTH_JWT_SECRET=SECRET,
        FISCUS_GRAPHQL_GRAPHIQL="false",
        FISCUS_LOG_LEVEL="WARNING",
        FISCUS_DATA_DIR=str(settings.data_dir),
        FISCUS_STREAMER_EMBEDDED="false",
    )
    launcher = os.environ.get("FISCUS_BENCH_LAUNCHER")  # e.g. a wrapper that records GC
    start = [launcher] if launcher else ["-m", "fiscus.cli"]
    command = [sys.executable, *start, "serve", "--port", str(port)]
    command += ["--no-access-log", "--no-migrate"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


async def _wait_listening(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def _declared_drops(kind: str, port: int) -> float:
    if kind != "fiscus":
        return 0.0
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    found = re.search(r"^fiscus_realtime_messages_dropped_total ([\d.e+]+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


# -- one scenario on one server ------------------------------------------------------------


async def _scenario(
    kind: str, scenario: str, sockets: int, duration: float, settings: Settings, tokens: list[str]
) -> dict[str, float | str]:
    rng = random.Random(7)
    plans, rate = _plans(scenario, sockets, rng)
    port = _free_port()
    server = _start(kind, port, settings)
    redis = aioredis.Redis.from_url(REDIS_URL)
    broker = Broker(redis, settings.redis.prefix, snapshot_ttl=600)
    watchers: dict[str, int] = {}
    for plan in plans:
        for symbol in plan:
            watchers[symbol] = watchers.get(symbol, 0) + 1
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    clients = None
    try:
        await _wait_listening(server, port)
        for symbol in watchers:  # every symbol has a last price: each socket is primed
            await broker.publish(channels.price(symbol), _tick(symbol))
        url = f"ws://127.0.0.1:{port}/graphql"
        clients = multiprocessing.get_context("spawn").Process(
            target=run_clients, args=(url, tokens[:sockets], plans, theirs)
        )
        loop = asyncio.get_running_loop()
        storm = time.perf_counter()
        clients.start()
        ready = await loop.run_in_executor(None, ours.recv)
        ready["ready_s"] = time.perf_counter() - storm
        await asyncio.sleep(1.0)
        process = psutil.Process(server.pid)
        drops_before = await _declared_drops(kind, port)
        cpu_before = sum(process.cpu_times()[:2])
        started = time.time()
        ours.send(started)
        profiler = None
        if PROFILE and kind == "fiscus":
            profiler = subprocess.Popen(  # noqa: ASYNC220 - py-spy runs beside the load
                [
                    "py-spy",
                    "record",
                    "-p",
                    str(server.pid),
                    "-d",
                    str(int(duration)),
                    "-f",
                    "raw",
                    "-o",
                    PROFILE,
                    "-r",
                    "200",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        expected, published = 0, 0
        symbols = sorted(watchers)
        while (elapsed := time.time() - started) < duration:
            due = int(elapsed * rate) + 1
            while published < due:
                symbol = (
                    symbols[published % len(symbols)]
                    if scenario != "mixed"
                    else rng.choice(symbols)
                )
                await broker.publish(channels.price(symbol), _tick(symbol))
                expected += watchers[symbol]
                published += 1
            await asyncio.sleep(max(0.0, (published / rate) - (time.time() - started)))
        await asyncio.sleep(DRAIN_SECONDS)
        if profiler is not None:
            profiler.wait(30)
        cpu = sum(process.cpu_times()[:2]) - cpu_before
        wall = time.time() - started
        declared = await _declared_drops(kind, port) - drops_before
        ours.send("stop")
        result = await loop.run_in_executor(None, ours.recv)
    finally:
        if clients is not None:
            clients.join(30)
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        await redis.aclose()
    received = result["received"]
    return {
        "server": kind,
        "scenario": scenario,
        "sockets": sockets,
        "ready": ready["ready"],
        "ready_s": ready["ready_s"],
        "init_failures": str(ready["init_failures"] or "-"),
        "expected": expected,
        "received": received,
        "per_s": received / (wall - DRAIN_SECONDS),
        "p50_ms": result["p50"] * 1000,
        "p99_ms": result["p99"] * 1000,
        "cpu_us": cpu / max(received, 1) * 1e6,
        "missing": expected - received,
        "declared": declared,
    }


def _tick(symbol: str) -> dict[str, object]:
    price = 100 + random.random() * 10
    return {
        "symbol": symbol,
        "price": f"{price:.2f}",
        "change": f"{price - 100:.2f}",
        "changePercent": f"{price - 100:.4f}",
        "dayVolume": 1_000_000,
        "at": datetime.now(UTC).isoformat(),
    }


def _print(row: dict[str, float | str]) -> None:
    print(
        f"{row['server']:>7} {row['scenario']:>6} {row['sockets']:>5} sockets "
        f"(ready {row['ready']} in {row['ready_s']:.1f}s, init failures {row['init_failures']}): "
        f"{row['per_s']:>8,.0f} deliveries/s  p50 {row['p50_ms']:6.1f} ms  "
        f"p99 {row['p99_ms']:6.1f} ms  CPU {row['cpu_us']:5.1f} us/msg  "
        f"missing {row['missing']} of {row['expected']} "
        f"(declared conflation {row['declared']:.0f})",
        flush=True,
    )


# -- setup ---------------------------------------------------------------------------------


async def _prepare(name: str, data_dir: Path) -> tuple[Settings, str]:
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    settings = Settings(
        env="development",
        data_dir=data_dir,
        log_level="WARNING",
        database={"url": url},
        redis={"url": REDIS_URL, "prefix": f"bench-{uuid.uuid4().hex[:8]}"},
        auth={"jwt_secret": SecretStr(SECRET)},
    )
    await asyncio.to_thread(upgrade, settings)
    owner = await asyncpg.connect(url)
    try:
        await owner.executemany(
            "INSERT INTO instruments (id, symbol, name, kind, currency, price_precision,"
            " provider, provider_symbol) VALUES ($1, $2, $2, 'equity', 'USD', 2, 'simulated', $2)",
            [(uuid.uuid4(), symbol) for symbol in SYMBOLS],
        )
    finally:
        await owner.close()
    runtime = await Runtime.open(settings)
    try:
        account = await sign_up(
            runtime.identity,
            email="bench@example.com",
            password="bench-password-123",
            display_name="Bench",
            organization_name="Bench",
        )
    finally:
        await runtime.close()
    # One session (one device) per socket, so no two connection_inits share a check.
    sessions = [uuid.uuid4() for _ in range(MAX_SOCKETS)]
    now = datetime.now(UTC)
    owner = await asyncpg.connect(url)
    try:
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
    tokens = AccessTokens(settings.auth)
    issued = [
        tokens.issue(
            user_id=account.user.id,
            org_id=account.organization.id,
            role=account.role,
            session_id=sid,
        ).token
        for sid in sessions
    ]
    return settings, issued


async def main(args: argparse.Namespace) -> None:
    name = f"fiscus_bench_{os.getpid()}"
    with tempfile.TemporaryDirectory() as data_dir:
        settings, tokens = await _prepare(name, Path(data_dir))
        try:
            for scenario in filter(None, args.scenarios.split(",")):
                sockets = 5000 if scenario == "same5k" else args.sockets
                for kind in args.servers.split(","):
                    row = await _scenario(
                        kind, scenario.removesuffix("5k"), sockets, args.duration, settings, tokens
                    )
                    _print(row)
            if args.ladder:
                held = 0
                for sockets in (int(n) for n in args.ladder.split(",")):
                    for kind in ("fiscus", "relay"):  # the relay: what the clients can take
                        row = await _scenario(
                            kind, "same", sockets, args.duration, settings, tokens
                        )
                        _print(row)
                        if kind == "fiscus" and row["p99_ms"] < 100 and row["missing"] == 0:
                            held = max(held, sockets)
                print(f"largest socket count at p99 < 100 ms (same symbols): {held}")
        finally:
            admin = await asyncpg.connect(ADMIN_URL)
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await admin.close()
            redis = aioredis.Redis.from_url(REDIS_URL)
            keys = [k async for k in redis.scan_iter(match=f"{settings.redis.prefix}:*")]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--servers", default="fiscus,relay,node")
    parser.add_argument("--scenarios", default="same,same5k,mixed")
    parser.add_argument("--ladder", default="")
    arguments = parser.parse_args()
    if not 1 <= arguments.duration <= 30:
        parser.error("duration 1..30 s (each scenario stays well under a minute)")
    asyncio.run(main(arguments))
