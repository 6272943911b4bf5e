"""The organization dashboard (20 portfolios x 25 holdings: every holding's instrument, price,
market value, unrealized gain, day change and weight) through fiscus, PostGraphile v4 and a
hand-written floor, in the same run.

Seeds a scratch database through the real services: 60 global instruments with a year of
weekday closes (the market-data functions the refresh job uses), one organization, 20
portfolios of 25 holdings each recorded as transactions (a deposit, then buys). Starts, on
loopback ports:
* ``fiscus serve`` (one process, no access log, no worker), asked the dashboard in GraphQL;
* PostGraphile v4 (``bench/postgraphile/``, one Node process) connected as fiscus's app role,
  each request in the tenant context from the same JWT (pgSettings), over a view with the
  same figures (``bench/postgraphile/schema.sql``);
* ``bench/portfolio_floor.py``: Starlette + asyncpg, the same JSON from one SQL query.
Checks that the three carry the same numbers, then loads each in alternating rounds with
wrk at N connections. Per round: requests/s, p50/p99 latency, the server process's CPU ms
per request and the bench database's PostgreSQL backends' CPU ms per request (only one
server is loaded at a time); then SQL statements per request, response bytes and the
fiscus/PostGraphile and fiscus/floor ratios.

    python bench/portfolio_dashboard.py [--concurrency 32] [--duration 10] [--rounds 2]

The load generator and PostgreSQL run on the same machine and compete with the servers for
CPU: compare the ratios measured in one run, and the CPU per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from harness import (  # type: ignore[import-not-found]
    ADMIN_URL,
    SECRET,
    admin,
    bench_settings,
    delete_prefix,
    free_port,
    start_server,
    wait_ready,
)
from portfolio_seed import seed_instruments, seed_portfolios  # type: ignore[import-not-found]
from sqlalchemy import make_url

from fiscus.app import create_app
from fiscus.config import Settings
from fiscus.domain.identity import Principal, Role
from fiscus.persistence.database import app_url
from fiscus.persistence.migrate import upgrade
from fiscus.persistence.statements import count_statements
from fiscus.runtime import Runtime
from fiscus.services.identity import auth

PASSWORD = "bench-password-123"
EMAIL = "dashboard@bench.example"
FISCUS_QUERY = """query Dashboard { portfolios(first: 20) { edges { node { id name baseCurrency
  cash holdings { quantity costBasis marketValue unrealizedGain dayChange weight price
  instrument { id symbol name currency } } } } } }"""
POSTGRAPHILE_QUERY = """query Dashboard { allPortfolios(first: 20, orderBy: [CREATED_AT_ASC,
  ID_ASC]) { nodes { id name baseCurrency cash holdings:
  portfolioHoldingValuesByOrgIdAndPortfolioId(orderBy: [MARKET_VALUE_DESC, INSTRUMENT_ID_ASC])
  { nodes { quantity costBasis marketValue unrealizedGain dayChange weight price
  instrument: instrumentByInstrumentId { id symbol name currency } } } } } }"""
LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) {
  __typename ... on AuthPayload { accessToken } } }"""
POSTGRAPHILE_DIR = Path(__file__).with_name("postgraphile")


@dataclass(frozen=True)
class Server:
    name: str
    base: str
    process: subprocess.Popen[bytes]
    query: str


@dataclass
class Figures:
    name: str
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    server_cpu_s: float
    database_cpu_s: float
    errors: int

    def per_request(self, seconds: float) -> float:
        return 1000 * seconds / max(self.requests, 1)


async def main() -> None:
    args = _arguments()
    args.load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    if shutil.which("wrk") is None or shutil.which("node") is None:
        raise SystemExit("wrk and node are needed (apt-get install wrk nodejs)")
    if not (POSTGRAPHILE_DIR / "node_modules").is_dir():
        await asyncio.to_thread(
            subprocess.run,
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=POSTGRAPHILE_DIR,
            check=True,
        )
    name = f"fiscus_bench_dashboard_{os.getpid()}"
    prefix = f"fiscus-bench-{uuid.uuid4().hex[:8]}"
    await admin(f"CREATE DATABASE {name}")
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            settings = bench_settings(name, prefix, Path(data_dir))
            await asyncio.to_thread(upgrade, settings)
            await _seed(settings, name, args)
            statements = await _statements_per_request(settings)
            await _measure(settings, name, args, statements)
    finally:
        await admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await delete_prefix(prefix)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per server")
    parser.add_argument("--portfolios", type=int, default=20)
    parser.add_argument("--holdings", type=int, default=25)
    parser.add_argument("--servers", default="fiscus,postgraphile,floor")
    parser.add_argument("--show-statements", action="store_true")
    args = parser.parse_args()
    if not (1 <= args.concurrency <= 512 and 0 < args.duration <= 300 and args.warmup <= 60):
        parser.error("concurrency 1..512, duration 0..300 s, warmup <= 60 s")
    return args


async def _seed(settings: Settings, database: str, args: argparse.Namespace) -> None:
    runtime = await Runtime.open(settings)
    owner = await asyncpg.connect(_owner_url(database))
    try:
        account = await auth.sign_up(
            runtime.identity,
            email=EMAIL,
            password=PASSWORD,
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
        instruments = await seed_instruments(owner, 60, until=datetime.now(UTC).date())
        await seed_portfolios(
            runtime,
            principal,
            instruments,
            portfolios=args.portfolios,
            holdings=args.holdings,
        )
        await owner.execute((POSTGRAPHILE_DIR / "schema.sql").read_text())
        await owner.execute("ANALYZE")
    finally:
        await owner.close()
        await runtime.close()


def _owner_url(database: str) -> str:
    url = make_url(ADMIN_URL).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


async def _statements_per_request(settings: Settings) -> list[str]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            token = await _log_in(client)
            await _ask(client, FISCUS_QUERY, token)  # warm caches, as in the steady state
            with count_statements() as log:
                await _ask(client, FISCUS_QUERY, token)
    return log.statements


async def _measure(
    settings: Settings, database: str, args: argparse.Namespace, statements: list[str]
) -> None:
    wanted = args.servers.split(",")
    servers: list[Server] = []
    try:
        for kind in wanted:
            servers.append(_start(kind, settings))
        for server in servers:
            probe = FISCUS_QUERY if server.name == "floor" else "{ __typename }"
            await wait_ready(server.process, server.base, query=probe)
        async with httpx.AsyncClient(base_url=servers[0].base, timeout=30) as client:
            token = await _log_in(client) if servers[0].name == "fiscus" else await _token(settings)
        answers = {s.name: await _answer(s, token) for s in servers}
        _check_same_numbers(answers)
        results: dict[str, list[Figures]] = {s.name: [] for s in servers}
        for _ in range(args.rounds):
            for server in servers:
                results[server.name].append(await _load(server, token, database, args))
        _report(results, args, statements, {n: len(a[0]) for n, a in answers.items()})
        if args.show_statements:
            print("\n".join(f"  SQL: {' '.join(s.split())[:160]}" for s in statements))
    finally:
        for server in servers:
            server.process.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.process.wait(30)
            except subprocess.TimeoutExpired:
                server.process.kill()


async def _token(settings: Settings) -> str:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            return await _log_in(client)


def _start(kind: str, settings: Settings) -> Server:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app_database = app_url(settings.database).set(drivername="postgresql")
    database_url = app_database.render_as_string(hide_password=False)
    if kind == "fiscus":
        return Server(kind, base, start_server(settings, port), FISCUS_QUERY)
    if kind == "postgraphile":
        command = ["node", str(POSTGRAPHILE_DIR / "server.mjs"), str(port), database_url, SECRET]
        env = {**os.environ, "NODE_ENV": "production"}  # graphql-js without its dev checks
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
        return Server(kind, base, process, POSTGRAPHILE_QUERY)
    if kind == "floor":
        command = [
            sys.executable,
            str(Path(__file__).with_name("portfolio_floor.py")),
            "--port",
            str(port),
            "--database-url",
            database_url,
            "--secret",
            SECRET,
        ]
        return Server(
            kind, base, subprocess.Popen(command, stdout=subprocess.DEVNULL), FISCUS_QUERY
        )
    raise SystemExit(f"unknown server {kind!r} (fiscus, postgraphile, floor)")


async def _log_in(client: httpx.AsyncClient) -> str:
    variables = {"input": {"email": EMAIL, "password": PASSWORD}}
    response = await client.post("/graphql", json={"query": LOG_IN, "variables": variables})
    payload = response.json()["data"]["logIn"]
    if payload["__typename"] != "AuthPayload":
        raise RuntimeError(f"log-in failed: {payload}")
    token: str = payload["accessToken"]
    return token


async def _ask(client: httpx.AsyncClient, query: str, token: str) -> tuple[bytes, Any]:
    response = await client.post(
        "/graphql", json={"query": query}, headers={"authorization": f"Bearer {token}"}
    )
    body = response.json()
    if response.status_code != 200 or "errors" in body:
        raise RuntimeError(f"the dashboard failed ({response.status_code}): {body}")
    return response.content, body


async def _answer(server: Server, token: str) -> tuple[bytes, Any]:
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
        return await _ask(client, server.query, token)


def _rows(name: str, body: Any) -> list[tuple[Any, ...]]:
    """Every number of the answer, as Decimals, in the answer's order."""
    if name == "postgraphile":
        portfolios = body["data"]["allPortfolios"]["nodes"]
        holdings_of = lambda p: p["holdings"]["nodes"]  # noqa: E731
    else:
        portfolios = [e["node"] for e in body["data"]["portfolios"]["edges"]]
        holdings_of = lambda p: p["holdings"]  # noqa: E731
    rows: list[tuple[Any, ...]] = []
    for p in portfolios:
        rows.append((p["name"], p["baseCurrency"], Decimal(p["cash"])))
        for h in holdings_of(p):
            rows.append(
                (
                    h["instrument"]["symbol"],
                    h["instrument"]["name"],
                    h["instrument"]["currency"],
                    *(
                        None if h[k] is None else Decimal(h[k])
                        for k in (
                            "quantity",
                            "costBasis",
                            "marketValue",
                            "unrealizedGain",
                            "dayChange",
                            "weight",
                            "price",
                        )
                    ),
                )
            )
    return rows


def _check_same_numbers(answers: dict[str, tuple[bytes, Any]]) -> None:
    reference_name, (_, reference) = next(iter(answers.items()))
    expected = _rows(reference_name, reference)
    if len(expected) < 2:
        raise RuntimeError("the dashboard is empty")
    for name, (_, body) in answers.items():
        found = _rows(name, body)
        if found != expected:
            diff = (
                next(
                    (i, a, b)
                    for i, (a, b) in enumerate(zip(found, expected, strict=False))
                    if a != b
                )
                if len(found) == len(expected)
                else (len(found), len(expected))
            )
            raise RuntimeError(f"{name} and {reference_name} answer differently: {diff}")
    if "floor" in answers and "fiscus" in answers:
        if answers["floor"][1] != answers["fiscus"][1]:
            raise RuntimeError("the floor's JSON document differs from fiscus's")


async def _load(server: Server, token: str, database: str, args: argparse.Namespace) -> Figures:
    script = WRK_SCRIPT.format(body=json.dumps(json.dumps({"query": server.query})), token=token)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        await _wrk(server.base, handle.name, args.concurrency, args.warmup)
        process = psutil.Process(server.process.pid)
        before, database_before = _cpu([process]), _cpu(_backends(database))
        output = await _wrk(server.base, handle.name, args.concurrency, args.duration)
        cpu, database_cpu = _cpu([process]) - before, _cpu(_backends(database)) - database_before
    finally:
        os.unlink(handle.name)
    return _parse_wrk(server.name, output, cpu, database_cpu)


def _backends(database: str) -> list[psutil.Process]:
    """PostgreSQL backends serving the bench database (their title names it)."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        title = " ".join(process.info.get("cmdline") or ())
        if f" {database} " in f" {title} " and "postgres" in (process.info.get("name") or ""):
            found.append(process)
    return found


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


async def _wrk(base: str, script: str, concurrency: int, seconds: float) -> str:
    process = await asyncio.create_subprocess_exec(
        "wrk",
        f"-t{min(2, concurrency)}",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        script,
        f"{base}/graphql",
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await process.communicate()
    return stdout.decode()


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
"""


def _parse_wrk(name: str, output: str, cpu: float, database_cpu: float) -> Figures:
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
        name,
        requests,
        requests / seconds,
        latency_ms("50"),
        latency_ms("99"),
        cpu,
        database_cpu,
        failed,
    )


def _report(
    results: dict[str, list[Figures]],
    args: argparse.Namespace,
    statements: list[str],
    sizes: dict[str, int],
) -> None:
    print(
        f"portfolio_dashboard: wrk, concurrency={args.concurrency}, {args.rounds} round(s) of "
        f"{args.duration:g} s each, alternating; {args.portfolios} portfolios x "
        f"{args.holdings} holdings; cpus={os.cpu_count()}"
    )
    print(
        f"  {'':13} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>11} "
        f"{'DB CPU ms/req':>14} {'errors':>7}"
    )
    best: dict[str, Figures] = {}
    for name, rounds in results.items():
        for f in rounds:
            print(
                f"  {name:13} {f.requests_per_s:7.1f} {f.p50_ms:8.1f} {f.p99_ms:8.1f} "
                f"{f.per_request(f.server_cpu_s):11.2f} {f.per_request(f.database_cpu_s):14.2f} "
                f"{f.errors:7d}"
            )
        best[name] = max(rounds, key=lambda f: f.requests_per_s)
    print(
        f"  SQL statements per request: fiscus {len(statements)} (the first begins the read "
        f"transaction with the tenant context), postgraphile 1 query (+ BEGIN, pgSettings' "
        f"set_config, COMMIT), floor 1 query (+ BEGIN with the tenant context, ROLLBACK)"
    )
    print("  response bytes: " + ", ".join(f"{n} {size:,}" for n, size in sizes.items()))
    print("  the three answers carry the same numbers (checked before loading)")
    # On a machine shared with other work, a process's requests/s follows its share of the
    # CPUs as much as its cost; the CPU each request costs (server + database) does not.
    cost = {
        name: sum(f.server_cpu_s + f.database_cpu_s for f in rounds)
        * 1000
        / max(sum(f.requests for f in rounds), 1)
        for name, rounds in results.items()
    }
    print(
        "  CPU ms per request, server + database (all rounds): "
        + ", ".join(f"{name} {ms:.2f}" for name, ms in cost.items())
    )
    if "fiscus" in best:
        for peer in ("postgraphile", "floor"):
            if peer in best:
                ratio = best["fiscus"].requests_per_s / best[peer].requests_per_s
                print(f"  fiscus / {peer}, requests/s (best rounds): {ratio:.2f}x")
                print(
                    f"  fiscus / {peer}, requests per CPU-second (server + database): "
                    f"{cost[peer] / cost['fiscus']:.2f}x"
                )
    print(
        f"  load average (1, 5, 15 min) before the run: {args.load_before}; after: "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )


if __name__ == "__main__":
    asyncio.run(main())
