"""`fiscus serve` on a machine with nothing configured: embedded PostgreSQL and Redis come
up, the API answers, and SIGTERM leaves no server process behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.graphql_client import PASSWORD, SIGN_UP

ME = "{ me { role user { email } organization { name } } }"
STARTUP_DEADLINE_SECONDS = 45
Running = tuple["subprocess.Popen[bytes]", int, Path]
SHUTDOWN_DEADLINE_SECONDS = 20


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _child_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FISCUS_")}
    env.update(
        {
            "FISCUS_DATA_DIR": str(data_dir),
            "FISCUS_GRAPHQL_GRAPHIQL": "false",  # no npm download in a test
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def fiscus_process(data_dir: Path, tmp_path: Path) -> Iterator[Running]:
    port = _free_port()
    log = tmp_path / "fiscus.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "fiscus.cli", "serve", "--port", str(port), "--no-access-log"],
            env=_child_env(data_dir),
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[1],
        )
    try:
        yield process, port, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _wait_until_serving(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"fiscus exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            response = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, timeout=2)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"no answer in {STARTUP_DEADLINE_SECONDS}s:\n{log.read_text()[-4000:]}")


def _server_pids(data_dir: Path) -> dict[str, int]:
    postgres = int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])
    registry = json.loads((data_dir / "redis" / "redis.db.settings").read_text())
    redis = int(Path(registry["pidfile"]).read_text().strip())
    return {"postgres": postgres, "redis-server": redis}


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _processes_using(data_dir: Path) -> list[str]:
    found = []
    for process in psutil.process_iter(["pid", "cmdline", "cwd", "status"]):
        info = process.info
        if info["status"] == psutil.STATUS_ZOMBIE:
            continue
        where = " ".join(info["cmdline"] or []) + " " + (info["cwd"] or "")
        if str(data_dir) in where:
            found.append(f"{info['pid']}: {where.strip()}")
    return found


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_serve_with_nothing_configured_runs_embedded_services_and_stops_them(
    fiscus_process: Running, data_dir: Path
) -> None:
    process, port, log = fiscus_process
    base = f"http://127.0.0.1:{port}"
    _wait_until_serving(process, base, log)
    pids = _server_pids(data_dir)
    assert all(_alive(pid) for pid in pids.values()), pids

    with httpx.Client(base_url=base, timeout=10) as client:
        health = client.get("/health").status_code
        signed_up = client.post(
            "/graphql",
            json={
                "query": SIGN_UP,
                "variables": {
                    "input": {
                        "email": "smoke@example.com",
                        "password": PASSWORD,
                        "displayName": "Smoke",
                        "organizationName": "Smoke Co",
                    }
                },
            },
        ).json()["data"]["signUp"]
        assert signed_up["__typename"] == "AuthPayload", signed_up
        me = client.post(
            "/graphql",
            json={"query": ME},
            headers={"authorization": f"Bearer {signed_up['accessToken']}"},
        ).json()
    assert me["data"]["me"] == {
        "role": "OWNER",
        "user": {"email": "smoke@example.com"},
        "organization": {"name": "Smoke Co"},
    }, me

    process.send_signal(signal.SIGTERM)
    assert process.wait(SHUTDOWN_DEADLINE_SECONDS) == 0, log.read_text()[-4000:]
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert {name: pid for name, pid in pids.items() if _alive(pid)} == {}
    assert _processes_using(data_dir) == []
    assert health == 200, "GET /health did not answer 200 (observability routes not wired?)"
