"""Throughput and latency of `{ me { ... } }` through a real uvicorn process.

Starts `fiscus serve` (one process, no access log, no worker) on a loopback port against
the machine's PostgreSQL and Redis, in a scratch database that is dropped afterwards.
Signs up one user, then N keep-alive httpx clients send the query for a fixed time.
Prints requests/s, latency percentiles, server CPU, and SQL statements per request
(counted in-process once, through httpx.ASGITransport, with count_statements()).

    python bench/me_throughput.py [--concurrency 32] [--duration 10] [--warmup 2]

FISCUS_BENCH_DATABASE_URL (an owner/superuser URL of the server to create the scratch
database on) and FISCUS_BENCH_REDIS_URL point elsewhere. Note the load generator runs on
the same machine and competes with the server for CPU: the "server CPU" figure says how
busy the server actually was.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import redis.asyncio as aioredis
from pydantic import SecretStr
from sqlalchemy import make_url

from fiscus.app import create_app
from fiscus.config import Settings
from fiscus.persistence.migrate import upgrade
from fiscus.persistence.statements import count_statements

ADMIN_URL = os.environ.get(
    "FISCUS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("FISCUS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "bench-secret-" + "x" * 40
PASSWORD = "bench-password-123"
ME = "{ me { role user { email displayName } organization { name } } }"
SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) {
  __typename ... on AuthPayload { accessToken } } }"""
MAX_REQUESTS = 2_000_000
STARTUP_SECONDS = 60


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    measuring: bool = False


async def main() -> None:
    args = _arguments()
    name = f"fiscus_bench_{os.getpid()}"
    prefix = f"fiscus-bench-{uuid.uuid4().hex[:8]}"
    await _admin(f"CREATE DATABASE {name}")
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            settings = _settings(name, prefix, Path(data_dir))
            await asyncio.to_thread(upgrade, settings)
            statements = await _statements_per_request(settings)
            await _measure(settings, args, len(statements))
            if args.show_statements:
                print("\n".join(f"  SQL: {' '.join(s.split())}" for s in statements))
    finally:
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await _delete_prefix(prefix)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--show-statements", action="store_true")
    args = parser.parse_args()
    if not (1 <= args.concurrency <= 512 and 0 < args.duration <= 300 and args.warmup <= 60):
        parser.error("concurrency 1..512, duration 0..300 s, warmup <= 60 s")
    return args


def _settings(database: str, prefix: str, data_dir: Path) -> Settings:
    url = make_url(ADMIN_URL).set(database=database).render_as_string(hide_password=False)
    return Settings(
        env="development",
        data_dir=data_dir,
        log_level="WARNING",
        database={"url": url},
        redis={"url": REDIS_URL, "prefix": prefix},
        auth={"jwt_secret": SecretStr(SECRET)},
        graphql={"graphiql": False},
    )


async def _statements_per_request(settings: Settings) -> list[str]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            token = await _sign_up(client, "statements@bench.example")
            await _me(client, token)  # warm caches, as in the steady state measured below
            with count_statements() as log:
                await _me(client, token)
    return log.statements


async def _measure(settings: Settings, args: argparse.Namespace, statements: int) -> None:
    port = _free_port()
    server = _start_server(settings, port)
    try:
        base = f"http://127.0.0.1:{port}"
        await _wait_ready(server, base)
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            token = await _sign_up(client, "load@bench.example")
        run = Run()
        cpu = psutil.Process(server.pid)
        deadline = time.perf_counter() + args.warmup + args.duration
        clients = [_client_loop(base, token, run, deadline) for _ in range(args.concurrency)]
        measure = asyncio.create_task(_measure_window(run, cpu, args.warmup, args.duration))
        await asyncio.gather(*clients)
        _report(run, args, statements, *await measure)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


async def _measure_window(
    run: Run, server: psutil.Process, warmup: float, duration: float
) -> tuple[float, float]:
    """CPU seconds the server and this load generator used in the measured window."""
    me = psutil.Process()
    await asyncio.sleep(warmup)
    run.measuring = True
    server_before, client_before = _cpu(server), _cpu(me)
    await asyncio.sleep(duration)
    run.measuring = False
    return _cpu(server) - server_before, _cpu(me) - client_before


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def _client_loop(base: str, token: str, run: Run, deadline: float) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    headers = {"authorization": f"Bearer {token}"}
    body = {"query": ME}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        while time.perf_counter() < deadline and len(run.latencies) < MAX_REQUESTS:
            started = time.perf_counter()
            response = await client.post("/graphql", json=body, headers=headers)
            elapsed = time.perf_counter() - started
            if run.measuring:
                run.latencies.append(elapsed)
                if response.status_code != 200 or b'"errors"' in response.content:
                    run.errors += 1


def _report(
    run: Run, args: argparse.Namespace, statements: int, server_cpu: float, client_cpu: float
) -> None:
    latencies = sorted(run.latencies)
    if not latencies:
        print("no requests completed")
        return
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    print(
        f"me_throughput: concurrency={args.concurrency} duration={args.duration:g}s "
        f"cpus={os.cpu_count()}"
    )
    print(f"  requests        {len(latencies)} ({run.errors} errors)")
    print(f"  requests/s      {len(latencies) / args.duration:.0f}")
    print(f"  latency p50     {cuts[49] * 1000:.2f} ms")
    print(f"  latency p95     {cuts[94] * 1000:.2f} ms")
    print(f"  latency p99     {cuts[98] * 1000:.2f} ms")
    print(f"  server CPU      {100 * server_cpu / args.duration:.0f}% of one core")
    print(f"  load-gen CPU    {100 * client_cpu / args.duration:.0f}% of one core")
    print(f"  SQL statements  {statements} per request")


def _start_server(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    assert settings.database.url is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("FISCUS_")}
    env.update(
        {
            "FISCUS_DATABASE_URL": settings.database.url.get_secret_value(),
            "FISCUS_REDIS_URL": REDIS_URL,
            "FISCUS_REDIS_PREFIX": settings.redis.prefix,
            "FISCUS_AUTH_JWT_SECRET": SECRET,
            "FISCUS_GRAPHQL_GRAPHIQL": "false",
            "FISCUS_LOG_LEVEL": "WARNING",
            "FISCUS_DATA_DIR": str(settings.data_dir),
        }
    )
    command = [
        sys.executable,
        "-m",
        "fiscus.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


async def _wait_ready(server: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"fiscus serve exited with {server.returncode}")
            try:
                if (await client.post("/graphql", json={"query": "{ __typename }"})).is_success:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("fiscus serve did not become ready")


async def _sign_up(client: httpx.AsyncClient, email: str) -> str:
    response = await client.post(
        "/graphql",
        json={
            "query": SIGN_UP,
            "variables": {
                "input": {
                    "email": email,
                    "password": PASSWORD,
                    "displayName": "Bench",
                    "organizationName": "Bench Org",
                }
            },
        },
    )
    payload: dict[str, Any] = response.json()["data"]["signUp"]
    if payload["__typename"] != "AuthPayload":
        raise RuntimeError(f"sign-up failed: {payload}")
    token: str = payload["accessToken"]
    return token


async def _me(client: httpx.AsyncClient, token: str) -> None:
    response = await client.post(
        "/graphql", json={"query": ME}, headers={"authorization": f"Bearer {token}"}
    )
    body = response.json()
    if "errors" in body:
        raise RuntimeError(f"me failed: {body}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _admin(sql: str) -> None:
    plain = make_url(ADMIN_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _delete_prefix(prefix: str) -> None:
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


if __name__ == "__main__":
    asyncio.run(main())
