"""`{ me { ... } }` through fiscus and through a hand-written floor, in the same run.

Starts `fiscus serve` (one process, no access log, no worker) and `bench/me_floor.py` (a
Starlette + asyncpg endpoint with the same guarantees: the same JWT checks, one read-only
transaction as the app role with the tenant context, session-live and current-role check,
user and organization) on loopback ports, against the machine's PostgreSQL and Redis, in a
scratch database that is dropped afterwards. Signs up one user, checks both answer the same
JSON, then loads each in alternating rounds with wrk (`apt-get install wrk`; without it, a
slower httpx loop) at N connections. Prints per round: requests/s, p50/p99 latency and the
server process's CPU ms per request; then SQL statements per request (fiscus counted
in-process with count_statements()) and the fiscus/floor ratios.

    python bench/me_throughput.py [--concurrency 32] [--duration 10] [--warmup 2] [--rounds 2]

FISCUS_BENCH_DATABASE_URL (an owner/superuser URL of the server to create the scratch
database on) and FISCUS_BENCH_REDIS_URL point elsewhere. The load generator runs on the
same machine and competes with the servers for CPU: compare the ratios, and the CPU per
request, rather than absolute requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from harness import (  # type: ignore[import-not-found]
    SECRET,
    admin,
    bench_settings,
    delete_prefix,
    free_port,
    start_server,
    wait_ready,
)

from fiscus.app import create_app
from fiscus.config import Settings
from fiscus.persistence.database import app_url
from fiscus.persistence.migrate import upgrade
from fiscus.persistence.statements import count_statements

PASSWORD = "bench-password-123"
ME = "{ me { role user { email displayName } organization { name } } }"
SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) {
  __typename ... on AuthPayload { accessToken } } }"""
MAX_REQUESTS = 2_000_000


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    measuring: bool = False


async def main() -> None:
    args = _arguments()
    name = f"fiscus_bench_{os.getpid()}"
    prefix = f"fiscus-bench-{uuid.uuid4().hex[:8]}"
    await admin(f"CREATE DATABASE {name}")
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            settings = bench_settings(name, prefix, Path(data_dir))
            await asyncio.to_thread(upgrade, settings)
            statements = await _statements_per_request(settings)
            await _measure(settings, args, len(statements))
            if args.show_statements:
                print("\n".join(f"  SQL: {' '.join(s.split())}" for s in statements))
    finally:
        await admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await delete_prefix(prefix)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per server")
    parser.add_argument("--httpx", action="store_true", help="load with httpx, not wrk")
    parser.add_argument("--show-statements", action="store_true")
    args = parser.parse_args()
    if not (1 <= args.concurrency <= 512 and 0 < args.duration <= 300 and args.warmup <= 60):
        parser.error("concurrency 1..512, duration 0..300 s, warmup <= 60 s")
    return args


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


@dataclass
class Figures:
    name: str
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    server_cpu_s: float
    errors: int

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_s / max(self.requests, 1)


async def _measure(settings: Settings, args: argparse.Namespace, statements: int) -> None:
    fiscus_port, floor_port = free_port(), free_port()
    fiscus = start_server(settings, fiscus_port)
    floor = _start_floor(settings, floor_port)
    try:
        fiscus_base = f"http://127.0.0.1:{fiscus_port}"
        floor_base = f"http://127.0.0.1:{floor_port}"
        await wait_ready(fiscus, fiscus_base)
        await wait_ready(floor, floor_base, query=ME)
        async with httpx.AsyncClient(base_url=fiscus_base, timeout=10) as client:
            token = await _sign_up(client, "load@bench.example")
        await _same_answer(fiscus_base, floor_base, token)
        results: dict[str, list[Figures]] = {"fiscus": [], "floor": []}
        for _ in range(args.rounds):
            for name, base, server in (
                ("fiscus", fiscus_base, fiscus),
                ("floor", floor_base, floor),
            ):
                results[name].append(await _load(name, base, server, token, args))
        _report(results, args, statements)
    finally:
        for server in (fiscus, floor):
            server.send_signal(signal.SIGTERM)
        for server in (fiscus, floor):
            server.wait(30)


async def _same_answer(fiscus_base: str, floor_base: str, token: str) -> None:
    headers = {"authorization": f"Bearer {token}"}
    answers = []
    for base in (fiscus_base, floor_base):
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            response = await client.post("/graphql", json={"query": ME}, headers=headers)
            answers.append(response.json())
    if answers[0] != answers[1] or "errors" in answers[0]:
        raise RuntimeError(f"fiscus and the floor answer differently: {answers}")


async def _load(
    name: str,
    base: str,
    server: subprocess.Popen[bytes],
    token: str,
    args: argparse.Namespace,
) -> Figures:
    """Warm up, then measure one window with wrk (or the httpx loop without wrk)."""
    process = psutil.Process(server.pid)
    if shutil.which("wrk") and not args.httpx:
        await _wrk(base, token, args.concurrency, args.warmup)
        before = _cpu(process)
        output = await _wrk(base, token, args.concurrency, args.duration)
        cpu = _cpu(process) - before
        return _parse_wrk(name, output, args.duration, cpu)
    run = Run()
    deadline = time.perf_counter() + args.warmup + args.duration
    clients = [_client_loop(base, token, run, deadline) for _ in range(args.concurrency)]
    measure = asyncio.create_task(_measure_window(run, process, args.warmup, args.duration))
    await asyncio.gather(*clients)
    cpu = await measure
    latencies = sorted(run.latencies)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return Figures(
        name,
        len(latencies),
        len(latencies) / args.duration,
        cuts[49] * 1000,
        cuts[98] * 1000,
        cpu,
        run.errors,
    )


async def _wrk(base: str, token: str, concurrency: int, seconds: float) -> str:
    script = WRK_SCRIPT.format(body=json.dumps(json.dumps({"query": ME})), token=token)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        process = await asyncio.create_subprocess_exec(
            "wrk",
            f"-t{min(2, concurrency)}",
            f"-c{concurrency}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-s",
            handle.name,
            f"{base}/graphql",
            stdout=asyncio.subprocess.PIPE,
        )
        stdout, _ = await process.communicate()
    finally:
        os.unlink(handle.name)
    return stdout.decode()


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
"""


def _parse_wrk(name: str, output: str, duration: float, cpu: float) -> Figures:
    def latency_ms(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if match is None:
            raise RuntimeError(f"wrk printed no {label}% latency:\n{output}")
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s)", output)
    if total is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    requests = int(total.group(1))
    seconds = float(total.group(2)) / (1000 if total.group(3) == "ms" else 1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Figures(
        name, requests, requests / seconds, latency_ms("50"), latency_ms("99"), cpu, failed
    )


async def _measure_window(
    run: Run, server: psutil.Process, warmup: float, duration: float
) -> float:
    """CPU seconds the server used in the measured window."""
    await asyncio.sleep(warmup)
    run.measuring = True
    before = _cpu(server)
    await asyncio.sleep(duration)
    run.measuring = False
    return _cpu(server) - before


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


def _report(results: dict[str, list[Figures]], args: argparse.Namespace, statements: int) -> None:
    tool = "wrk" if shutil.which("wrk") and not args.httpx else "httpx"
    print(
        f"me_throughput: {tool}, concurrency={args.concurrency}, {args.rounds} round(s) of "
        f"{args.duration:g} s each, alternating; cpus={os.cpu_count()}"
    )
    print(f"  query: {ME}")
    header = f"  {'':8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>11} {'errors':>7}"
    print(header)
    best: dict[str, Figures] = {}
    for name, rounds in results.items():
        for figures in rounds:
            print(
                f"  {name:8} {figures.requests_per_s:8.0f} {figures.p50_ms:8.2f} "
                f"{figures.p99_ms:8.2f} {figures.cpu_ms_per_request:11.3f} {figures.errors:7d}"
            )
        best[name] = max(rounds, key=lambda f: f.requests_per_s)
    ratio = best["fiscus"].requests_per_s / best["floor"].requests_per_s
    cpu_ratio = best["floor"].cpu_ms_per_request / best["fiscus"].cpu_ms_per_request
    print(
        f"  SQL statements per request: fiscus {statements} (the first one begins the "
        f"transaction), floor 3 (+ BEGIN, COMMIT)"
    )
    print(f"  fiscus / floor, requests/s (best rounds): {ratio:.2f}x")
    print(f"  fiscus / floor, server CPU efficiency:    {cpu_ratio:.2f}x")


def _start_floor(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    url = app_url(settings.database).set(drivername="postgresql")
    command = [
        sys.executable,
        str(Path(__file__).with_name("me_floor.py")),
        "--port",
        str(port),
        "--database-url",
        url.render_as_string(hide_password=False),
        "--secret",
        SECRET,
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


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


if __name__ == "__main__":
    asyncio.run(main())
