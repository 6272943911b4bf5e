"""Seconds from `fiscus serve` to a working API on a fresh machine, and on a restart.

Runs `fiscus serve` with nothing configured (embedded PostgreSQL and Redis) in a fresh
temporary data directory -- first start: initdb, migrations -- then again on the same
directory (warm start). For each, measures seconds until GET /health answers 200 and until
POST /graphql answers a query, then sends SIGTERM and checks that fiscus, the embedded
postgres and redis-server all exit.

    python bench/cold_start.py [--with-graphiql]

--with-graphiql includes fetching GraphiQL's assets from the npm registry in the first start
(off by default: it measures the network, not fiscus).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

DEADLINE_SECONDS = 120
SHUTDOWN_SECONDS = 30


@dataclass
class Start:
    health: float | None
    graphql: float
    shutdown: float
    leftovers: list[int]


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="fiscus-cold-") as tmp:
        data_dir = Path(tmp) / "data"
        first = _start(data_dir, graphiql=args.with_graphiql)
        warm = _start(data_dir, graphiql=args.with_graphiql)
    _print("first start (initdb + migrate)", first)
    _print("warm start (same data dir)", warm)
    if first.leftovers or warm.leftovers:
        sys.exit("processes left behind after SIGTERM")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-graphiql", action="store_true")
    return parser.parse_args()


def _start(data_dir: Path, *, graphiql: bool) -> Start:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FISCUS_")}
    env.update(
        {
            "FISCUS_DATA_DIR": str(data_dir),
            "FISCUS_LOG_LEVEL": "WARNING",
            "FISCUS_GRAPHQL_GRAPHIQL": "true" if graphiql else "false",
        }
    )
    command = [sys.executable, "-m", "fiscus.cli", "serve", "--port", str(port), "--no-access-log"]
    log = data_dir.parent / "serve.log"
    started = time.perf_counter()
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        health, graphql = _wait_until_serving(process, f"http://127.0.0.1:{port}", started)
        servers = _embedded_server_pids(data_dir)
        stopping = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        process.wait(SHUTDOWN_SECONDS)
        shutdown = time.perf_counter() - stopping
    except RuntimeError as failure:
        raise RuntimeError(f"{failure}\n{log.read_text()[-3000:]}") from None
    finally:
        _terminate(process)
    return Start(health, graphql, shutdown, _still_running([*servers, process.pid]))


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM first, so a failed run still stops its embedded servers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(SHUTDOWN_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_serving(
    process: subprocess.Popen[bytes], base: str, started: float
) -> tuple[float | None, float]:
    """(seconds to /health 200 or None if /health is not served, seconds to a query)."""
    health: float | None = None
    with httpx.Client(base_url=base, timeout=2) as client:
        while time.perf_counter() - started < DEADLINE_SECONDS:
            if process.poll() is not None:
                raise RuntimeError(f"fiscus serve exited with {process.returncode}")
            try:
                if health is None and client.get("/health").status_code == 200:
                    health = time.perf_counter() - started
                query = client.post("/graphql", json={"query": "{ __typename }"})
                if query.status_code == 200:
                    return health, time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise RuntimeError(f"fiscus serve did not answer within {DEADLINE_SECONDS}s")


def _embedded_server_pids(data_dir: Path) -> list[int]:
    postgres = int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])
    registry = json.loads((data_dir / "redis" / "redis.db.settings").read_text())
    redis = int(Path(registry["pidfile"]).read_text().strip())
    return [postgres, redis]


def _still_running(pids: list[int], grace: float = 5.0) -> list[int]:
    deadline = time.monotonic() + grace
    while True:
        alive = [pid for pid in pids if _alive(pid)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _print(label: str, start: Start) -> None:
    health = f"{start.health:.2f} s" if start.health is not None else "not served (404)"
    print(f"{label}:")
    print(f"  /health 200     {health}")
    print(f"  /graphql query  {start.graphql:.2f} s")
    print(f"  SIGTERM -> exit {start.shutdown:.2f} s, left running: {start.leftovers or 'none'}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


if __name__ == "__main__":
    main()
