"""The daily refresh of many instruments x ten years, through the real yfinance adapter,
while `fiscus serve` answers `/health`.

A local stand-in answers Yahoo's chart endpoint in its wire shape (the structure of
`tests/fixtures/yahoo/chart_AAPL_2020-08.json`, with ten years of weekday bars and quarterly
dividends per symbol); yfinance runs unchanged on top, with its HTTP session pointed there.
This process plays the worker: it resolves and watches N symbols, then runs the refresh job's
service (`fiscus.services.marketdata.refresh`) for all of them, while a separate process polls
the API's `/health` every 20 ms. Prints the refresh's wall time, rows written, the rows/s,
and `/health` latency percentiles during the refresh — next to the same percentiles with the
API idle (the floor), measured in the same run.

    PYTHONPATH=. python bench/price_refresh.py [--instruments 500] [--years 10]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from harness import (  # type: ignore[import-not-found]
    bench_settings,
    free_port,
    scratch,
    start_server,
    wait_ready,
)

from fiscus.marketdata.providers.yfinance_provider import YFinanceProvider
from fiscus.marketdata.registry import ProviderRegistry
from fiscus.persistence.migrate import upgrade
from fiscus.runtime import Runtime
from fiscus.services.identity.auth import sign_up
from fiscus.services.marketdata import refresh, tracking
from tests.marketdata.yahoo_server import FIXTURES, session_to, yahoo_stand_in

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


def chart_json(symbol: str, years: int, today: date, template: dict[str, Any]) -> bytes:
    """Ten years of weekday bars for ``symbol`` in Yahoo's chart shape (seeded walk)."""
    rng = random.Random(symbol)
    start = today.replace(year=today.year - years)
    timestamps: list[int] = []
    opens: list[float] = []
    highs: list[float] = []
    lows: list[float] = []
    closes: list[float] = []
    volumes: list[int] = []
    dividends: dict[str, Any] = {}
    price = rng.uniform(20, 400)
    day = start
    while day <= today:
        if day.weekday() < 5:
            stamp = int(datetime(day.year, day.month, day.day, 13, 30, tzinfo=UTC).timestamp())
            opened = price
            price *= math.exp(rng.gauss(0.0003, 0.018))
            timestamps.append(stamp)
            opens.append(round(opened, 2))
            closes.append(round(price, 2))
            highs.append(round(max(opened, price) * 1.006, 2))
            lows.append(round(min(opened, price) * 0.994, 2))
            volumes.append(rng.randint(1_000_000, 50_000_000))
            if day.month in (2, 5, 8, 11) and day.day in (7, 8, 9) and day.weekday() == 2:
                dividends[str(stamp)] = {"amount": round(price * 0.004, 4), "date": stamp}
        day += timedelta(days=1)
    result = json.loads(json.dumps(template))
    meta = result["meta"]
    meta.update(
        symbol=symbol,
        longName=f"{symbol} Holdings",
        shortName=f"{symbol} Holdings",
        regularMarketPrice=closes[-1],
        chartPreviousClose=closes[0],
        regularMarketTime=timestamps[-1],
        firstTradeDate=timestamps[0],
    )
    result["timestamp"] = timestamps
    result["events"] = {"dividends": dividends}
    result["indicators"] = {
        "quote": [{"open": opens, "low": lows, "volume": volumes, "high": highs, "close": closes}],
        "adjclose": [{"adjclose": closes}],
    }
    return json.dumps({"chart": {"result": [result], "error": None}}).encode()


def symbols_for(count: int) -> list[str]:
    return [f"B{n:03d}" for n in range(count)]


def poll_health(url: str, seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", POLLER, url, str(seconds)], stdout=subprocess.PIPE
    )


def latencies_of(poller: subprocess.Popen[bytes]) -> list[float]:
    out, _ = poller.communicate(timeout=120)
    loaded: list[float] = json.loads(out)
    return loaded


def summary(latencies: list[float]) -> str:
    if len(latencies) < 2:
        return "too few samples"
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return (
        f"{len(latencies)} requests, p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms,"
        f" max {max(latencies) * 1000:.1f} ms"
    )


async def main() -> None:
    warnings.filterwarnings("ignore", module="yfinance")  # its own pandas deprecations
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instruments", type=int, default=500)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    if not (1 <= args.instruments <= 2000 and 1 <= args.years <= 20):
        parser.error("instruments 1..2000, years 1..20")
    today = datetime.now(UTC).date()
    template = json.loads((FIXTURES / "chart_AAPL_2020-08.json").read_bytes())["chart"]
    template = template["result"][0]
    symbols = symbols_for(args.instruments)
    async with scratch("refresh") as (database, prefix):
        with tempfile.TemporaryDirectory() as data_dir, yahoo_stand_in() as (stand_in, base):
            for symbol in symbols:
                stand_in.charts[symbol] = chart_json(symbol, args.years, today, template)
            settings = bench_settings(
                database,
                prefix,
                Path(data_dir),
                marketdata={
                    "provider": "yfinance",
                    "yfinance_requests_per_second": 10_000,
                    "yfinance_burst": 10_000,
                    "call_timeout_seconds": 120,
                },
            )
            await asyncio.to_thread(upgrade, settings)
            port = free_port()
            server = start_server(settings, port)
            try:
                await wait_ready(server, f"http://127.0.0.1:{port}")
                await run(settings, symbols, base, Path(data_dir), port, args)
            finally:
                server.terminate()
                server.wait(30)


async def run(
    settings: Any, symbols: list[str], base: str, data_dir: Path, port: int, args: Any
) -> None:
    health = f"http://127.0.0.1:{port}/health"
    runtime = await Runtime.open(settings)
    try:
        yahoo = YFinanceProvider(session=session_to(base), cache_dir=data_dir / "yf-cache")
        registry = ProviderRegistry.from_settings(settings, providers={"yfinance": yahoo})
        ctx = dataclasses.replace(runtime.marketdata, provider=registry)
        account = await sign_up(
            runtime.identity,
            email="bench@bench.example",
            password="bench-password-123",
            display_name="Bench",
            organization_name="Bench Org",
        )
        owner = runtime.identity.tokens.decode(account.access_token)
        watched = []
        for symbol in symbols:
            tracked = await tracking.track_instrument(ctx, owner, symbol=symbol)
            watched.append(tracked.instrument.id)
        idle = poll_health(health, 3.0)
        idle_latencies = await asyncio.to_thread(latencies_of, idle)

        poller = poll_health(health, 600.0)
        started = time.perf_counter()
        report = await refresh.refresh_instruments(ctx, registry, watched)
        elapsed = time.perf_counter() - started
        poller.terminate()
        out, _ = poller.communicate(timeout=30)
        busy_latencies: list[float] = json.loads(out) if out.strip() else []
    finally:
        await runtime.close()
    rows = report.bars_written + report.actions_written
    print(
        f"price_refresh: {len(symbols)} instruments x {args.years} years through yfinance "
        f"(local stand-in), this process as the worker, `fiscus serve` for /health"
    )
    print(f"  refresh wall time   {elapsed:.1f} s (target: under 60 s)")
    print(
        f"  fetched             {report.fetched} histories, {report.bars_written:,} bars and "
        f"{report.actions_written:,} actions written ({rows / elapsed:,.0f} rows/s); "
        f"unavailable: {len(report.unavailable)}"
    )
    print(f"  /health, idle       {summary(idle_latencies)}")
    print(f"  /health, refreshing {summary(busy_latencies)} (target: under 50 ms)")


if __name__ == "__main__":
    asyncio.run(main())
