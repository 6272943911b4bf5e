"""Backtests: one 20-year, monthly-rebalanced backtest of 10 instruments, then 100 of them
queued at once on real arq worker processes while a `fiscus serve` answers `/health`.

1. In this process, on a scratch database with 10 instruments x 20 years of weekday closes
   (and quarterly dividends): the simulation alone (``run_backtest``: the engine and the
   metrics) and the worker's whole job (``runs.execute``: read the market, simulate,
   measure, store the result, publish) -- p50 over rounds.
2. `fiscus serve` (subprocess) and N `fiscus worker` processes; this process submits 100
   distinct backtests (``runs.submit``, as ``runBacktest`` does) at once and waits until
   every one is stored; another process polls `/health` every 20 ms meanwhile. Prints the
   wall time, backtests/s, each run's time in the worker (started -> finished) and in the
   queue, and `/health` p50/p99 beside the same API idle.

    PYTHONPATH=. python bench/backtesting_queue.py [--backtests 100] [--workers 1] [--years 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
from harness import (  # type: ignore[import-not-found]
    ADMIN_URL,
    SECRET,
    bench_settings,
    free_port,
    scratch,
    start_server,
    wait_ready,
)
from sqlalchemy import make_url

from fiscus.domain.backtesting import Frequency, StrategyKind, run_backtest
from fiscus.persistence.migrate import upgrade
from fiscus.runtime import Runtime
from fiscus.services.backtesting import runs
from fiscus.services.backtesting.documents import request_of
from fiscus.services.backtesting.market import load_market
from fiscus.services.backtesting.requests import AllocationInput, BacktestInput, StrategyInput
from fiscus.services.identity.auth import sign_up

POLLER = r"""
import json, signal, sys, time, urllib.request
url, limit = sys.argv[1], float(sys.argv[2])
latencies, stopping = [], []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
deadline = time.monotonic() + limit
while not stopping and time.monotonic() < deadline:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=5) as response:
        response.read()
    latencies.append(time.perf_counter() - started)
    time.sleep(0.02)
print(json.dumps(latencies), flush=True)
"""
END = date(2025, 12, 31)


def weekdays(start: date, end: date) -> list[date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "too few samples"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1000:8.1f} ms   p99 {cuts[98] * 1000:8.1f} ms   ({len(values)})"


async def seed(database: str, symbols: list[str], days: list[date]) -> None:
    url = make_url(ADMIN_URL).set(database=database, drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    rng = np.random.default_rng(3)
    try:
        for n, symbol in enumerate(symbols):
            iid = await connection.fetchval(
                "SELECT fiscus_upsert_instrument($1, $1, 'etf', 'USD', 'EX', 'simulated', $1, 4)",
                symbol,
            )
            closes = 40 * np.exp(np.cumsum(rng.normal(0.0003, 0.01 + 0.001 * n, len(days))))
            bars = [
                {"day": d.isoformat(), "close": f"{c:.4f}"}
                for d, c in zip(days, closes, strict=True)
            ]
            await connection.execute(
                "SELECT fiscus_upsert_daily_prices($1, 'simulated', $2::jsonb)",
                iid,
                json.dumps(bars),
            )
            dividends = [
                {"day": d.isoformat(), "kind": "dividend", "amount": "0.15"}
                for d in days
                if d.month % 3 == 0 and d.day in (15, 16, 17) and d.weekday() == 2
            ]
            await connection.execute(
                "SELECT fiscus_upsert_corporate_actions($1, 'simulated', $2::jsonb)",
                iid,
                json.dumps(dividends),
            )
    finally:
        await connection.close()


def request(symbols: list[str], start: date, cash: int) -> BacktestInput:
    weight = Decimal(1) / len(symbols)
    return BacktestInput(
        name=f"Equal weights, {cash}",
        start=start,
        end=END,
        strategies=[
            StrategyInput(
                "Monthly rebalance",
                StrategyKind.REBALANCE,
                [AllocationInput(s, weight) for s in symbols],
                Decimal(cash),
                contribution=Decimal(500),
                rebalance_frequency=Frequency.MONTHLY,
                fee_fixed=Decimal(1),
                fee_rate=Decimal("0.001"),
            )
        ],
    )


def start_worker(settings: Any) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FISCUS_")}
    env.update(
        {
            "FISCUS_DATABASE_URL": settings.database.url.get_secret_value(),
            "FISCUS_REDIS_URL": settings.redis.url,
            "FISCUS_REDIS_PREFIX": settings.redis.prefix,
            "FISCUS_AUTH_JWT_SECRET": SECRET,
            "FISCUS_LOG_LEVEL": "WARNING",
            "FISCUS_DATA_DIR": str(settings.data_dir),
            "FISCUS_WORKER__JOB_TIMEOUT_SECONDS": "900",
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "fiscus.cli", "worker"], env=env, stdout=subprocess.DEVNULL
    )


def poll(url: str, seconds: float) -> subprocess.Popen[bytes]:
    """Another process polls ``url`` every 20 ms (this one submits and waits)."""
    return subprocess.Popen(
        [sys.executable, "-c", POLLER, url, str(seconds)], stdout=subprocess.PIPE
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backtests", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--instruments", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    start = END.replace(year=END.year - args.years) + timedelta(days=1)
    days = weekdays(start - timedelta(days=10), END)
    symbols = [f"Q{n:02d}" for n in range(args.instruments)]
    async with scratch("backtests") as (database, prefix):
        with tempfile.TemporaryDirectory() as data_dir:
            settings = bench_settings(database, prefix, Path(data_dir))
            await asyncio.to_thread(upgrade, settings)
            await seed(database, symbols, days)
            runtime = await Runtime.open(settings)
            try:
                account = await sign_up(
                    runtime.identity,
                    email="bench@bench.example",
                    password="bench-password-123",
                    display_name="Bench",
                    organization_name="Bench",
                )
                owner = runtime.identity.tokens.decode(account.access_token)
                await one(runtime, owner, symbols, start, args)
                await queued(runtime, owner, settings, symbols, start, args)
            finally:
                await runtime.close()


async def one(runtime: Runtime, owner: Any, symbols: list[str], start: date, args: Any) -> None:
    ctx = runtime.portfolios
    simulated, executed, cpu, statements = [], [], [], 0
    for n in range(args.rounds):
        submitted = await runs.submit(ctx, owner, request(symbols, start, 10_000 + n))
        asked = request_of(submitted.backtest.request)
        ids = {a.instrument_id for s in asked.strategies for a in s.allocations}
        async with ctx.reading(owner.org_id, owner.user_id) as reads:
            market = await load_market(reads, ids, asked.currency, asked.start, asked.end)
        began = time.perf_counter()
        results = run_backtest(asked.strategies, market, asked.start, asked.end)
        simulated.append(time.perf_counter() - began)
        began, began_cpu = time.perf_counter(), time.process_time()
        status = await runs.execute(
            ctx, runtime.broker.publish, owner.org_id, submitted.backtest.id
        )
        executed.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        assert status.value == "SUCCEEDED", status
        statements = len(results[0].run.trades)
    days = len(results[0].run.points)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(
        f"backtesting_queue: {args.instruments} instruments x {args.years} years "
        f"({days} trading days), monthly rebalancing, fees, monthly contributions "
        f"({statements} trades)"
    )
    print(f"  simulation + metrics (run_backtest)      {percentiles(simulated)}")
    print(
        f"  the worker's whole job (runs.execute)    {percentiles(executed)}   (target: under 1 s)"
    )
    print(f"  ... its CPU time (process, all threads)  {percentiles(cpu)}")


async def queued(
    runtime: Runtime, owner: Any, settings: Any, symbols: list[str], start: date, args: Any
) -> None:
    port = free_port()
    server = start_server(settings, port)
    workers = [start_worker(settings) for _ in range(args.workers)]
    health = f"http://127.0.0.1:{port}/health"
    try:
        await wait_ready(server, f"http://127.0.0.1:{port}")
        await asyncio.sleep(2)  # the workers connect
        idle = poll(health, 3)
        idle_latencies = json.loads(idle.communicate(timeout=60)[0])
        poller = poll(health, 1800)
        began = time.perf_counter()
        ids = []
        for n in range(args.backtests):
            submitted = await runs.submit(
                runtime.portfolios, owner, request(symbols, start, 20_000 + n)
            )
            ids.append(submitted.backtest.id)
        submitted_in = time.perf_counter() - began
        url = make_url(ADMIN_URL).set(
            database=settings.database.url.get_secret_value().rsplit("/", 1)[1],
            drivername="postgresql",
        )
        connection = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            while True:
                done = await connection.fetchval(
                    "SELECT count(*) FROM backtests WHERE id = ANY($1)"
                    " AND status IN ('SUCCEEDED','FAILED')",
                    ids,
                )
                if done == len(ids):
                    break
                await asyncio.sleep(0.2)
            wall = time.perf_counter() - began
            rows = await connection.fetch(
                "SELECT status, extract(epoch FROM finished_at - started_at) AS working,"
                " extract(epoch FROM started_at - created_at) AS waiting FROM backtests"
                " WHERE id = ANY($1)",
                ids,
            )
        finally:
            await connection.close()
        poller.terminate()
        busy_latencies = json.loads(poller.communicate(timeout=60)[0] or b"[]")
    finally:
        for process in [server, *workers]:
            process.terminate()
        for process in [server, *workers]:
            process.wait(30)
    failed = sum(1 for r in rows if r["status"] != "SUCCEEDED")
    print(
        f"  {args.backtests} queued at once on {args.workers} worker process(es): all stored "
        f"in {wall:.1f} s ({args.backtests / wall:.2f} backtests/s; submitted in "
        f"{submitted_in:.1f} s), failed: {failed}"
    )
    working = [float(r["working"]) for r in rows]
    waiting = [float(r["waiting"]) for r in rows]
    print(f"  time in the worker per backtest          {percentiles(working)}")
    print(f"  time queued per backtest                 {percentiles(waiting)}")
    print(f"  /health, idle                            {percentiles(idle_latencies)}")
    print(
        f"  /health, while the workers run          {percentiles(busy_latencies)}   "
        "(target: under 50 ms)"
    )


if __name__ == "__main__":
    asyncio.run(main())
