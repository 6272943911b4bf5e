"""Two API processes and one worker on the same PostgreSQL and Redis: a change made through
process A reaches a subscriber connected to process B, and B's worker sends the email."""

from __future__ import annotations

import asyncio
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
import pytest
import websockets

from tests.api.test_members import INVITE
from tests.conftest import TEST_SECRET
from tests.graphql_client import sign_up

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _env(settings, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FISCUS_")}
    env.update(
        {
            "FISCUS_ENV": "test",
            "FISCUS_DATA_DIR": str(data_dir),
            "FISCUS_DATABASE_URL": settings.database.url.get_secret_value(),
            "FISCUS_REDIS_URL": settings.redis.url,
            "FISCUS_REDIS_PREFIX": settings.redis.prefix,
            "FISCUS_AUTH_JWT_SECRET": TEST_SECRET,
            "FISCUS_GRAPHQL_GRAPHIQL": "false",
            "FISCUS_WORKER_HEALTH_CHECK_INTERVAL_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "fiscus.cli", *args],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


def _wait_healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"API on port {port} did not become healthy:\n{log.read_text()}")


@pytest.fixture
def cluster(settings, tmp_path: Path) -> Iterator[tuple[int, int, Path]]:
    mailbox_dir = tmp_path / "worker-data"
    processes = []
    try:
        ports = [_free_port(), _free_port()]
        for index, port in enumerate(ports):
            log = tmp_path / f"api-{index}.log"
            api = _start(
                ["serve", "--port", str(port), "--no-migrate", "--no-access-log"],
                _env(settings, tmp_path / f"api-{index}"),
                log,
            )
            processes.append(api)
            _wait_healthy(port, api, log)
        processes.append(_start(["worker"], _env(settings, mailbox_dir), tmp_path / "worker.log"))
        yield ports[0], ports[1], mailbox_dir / "mailbox"
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


async def test_a_change_through_one_process_reaches_a_subscriber_on_another(cluster):
    port_a, port_b, mailbox = cluster
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_a}") as api_a:
        owner = await sign_up(api_a, "owner@example.com")
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port_b}/graphql", subprotocols=["graphql-transport-ws"]
        )
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {owner.token}"}}
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "a",
                    "type": "subscribe",
                    "payload": {
                        "query": "subscription { organizationActivity { action details } }"
                    },
                }
            )
        )
        await asyncio.sleep(0.3)
        invited = await api_a.post(
            "/graphql",
            json={"query": INVITE, "variables": {"email": "new@example.com", "role": "MEMBER"}},
            headers={"authorization": f"Bearer {owner.token}"},
        )
        assert invited.json()["data"]["inviteMember"]["__typename"] == "InviteMemberSuccess"
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert message["payload"]["data"]["organizationActivity"] == {
            "action": "member.invited",
            "details": {"email": "new@example.com", "role": "member"},
        }
        await ws.close()

        await _wait_for_mail(mailbox, seconds=15)
        mails = [p.read_text() for p in mailbox.glob("*.eml")]
        assert len(mails) == 1 and "new@example.com" in mails[0] and "inv_" in mails[0]
        health = await api_a.get("/health/worker")
        assert health.status_code == 200, health.text


async def _wait_for_mail(mailbox: Path, *, seconds: float) -> None:
    """The worker is another process: poll its mailbox directory."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not list(mailbox.glob("*.eml")):  # noqa: ASYNC110, ASYNC240
        await asyncio.sleep(0.2)
