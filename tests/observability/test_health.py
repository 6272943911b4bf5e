"""Health probes against real PostgreSQL, Redis and an arq worker, and against dead ones."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import make_url

from fiscus.config import Settings
from fiscus.observability.health import PROBE_TIMEOUT_SECONDS
from fiscus.persistence.database import Database
from fiscus.runtime import Runtime
from fiscus.workers.settings import run_worker
from tests.observability.conftest import build_app, client_for

DEAD_DATABASE = "postgresql+asyncpg://fiscus_app:fiscus_app@127.0.0.1:1/fiscus"


@contextlib.asynccontextmanager
async def probing(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(build_app(runtime)) as client:
        yield client


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never answers: a hung dependency."""

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


@contextlib.asynccontextmanager
async def database_at(runtime: Runtime, url: str) -> AsyncIterator[Runtime]:
    db = Database.connect(runtime.settings.database, url=make_url(url))
    try:
        yield dataclasses.replace(runtime, db=db)
    finally:
        await db.dispose()


async def test_the_process_probe_answers_ok(ops_client: httpx.AsyncClient) -> None:
    response = await ops_client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize("dependency", ["database", "cache"])
async def test_reachable_dependencies_are_ok(
    ops_client: httpx.AsyncClient, dependency: str
) -> None:
    response = await ops_client.get(f"/health/{dependency}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["latency_ms"] >= 0


async def test_an_unreachable_database_is_down(runtime: Runtime) -> None:
    async with database_at(runtime, DEAD_DATABASE) as dead, probing(dead) as client:
        response = await client.get("/health/database")
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["detail"]


async def test_a_hung_database_is_down_within_the_probe_timeout(runtime: Runtime) -> None:
    async with silent_server() as port:
        url = f"postgresql+asyncpg://fiscus_app:fiscus_app@127.0.0.1:{port}/fiscus"
        async with database_at(runtime, url) as hung, probing(hung) as client:
            started = time.perf_counter()
            response = await client.get("/health/database")
            elapsed = time.perf_counter() - started
    assert response.status_code == 503
    assert "no answer" in response.json()["detail"]
    assert elapsed < PROBE_TIMEOUT_SECONDS + 1


async def test_an_unreachable_cache_is_down(runtime: Runtime) -> None:
    dead = aioredis.Redis.from_url("redis://127.0.0.1:1/0")
    try:
        async with probing(dataclasses.replace(runtime, redis=dead)) as client:
            response = await client.get("/health/cache")
    finally:
        await dead.aclose()
    assert response.status_code == 503
    assert response.json()["status"] == "down"


async def test_a_probe_before_startup_is_down() -> None:
    async with client_for(build_app(None)) as client:
        response = await client.get("/health/database")
    assert response.status_code == 503


async def wait_for_status(client: httpx.AsyncClient, path: str, status: int) -> httpx.Response:
    deadline = time.monotonic() + 10
    while True:
        response = await client.get(path)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.1)


async def test_the_worker_probe_follows_a_running_worker(
    ops_client: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await ops_client.get("/health/worker")).status_code == 503

    worker = asyncio.create_task(run_worker(settings))
    try:
        running = await wait_for_status(ops_client, "/health/worker", 200)
        assert running.status_code == 200, running.json()
        assert running.json()["status"] == "ok"
        assert "j_complete=" in running.json()["detail"]
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker

    stopped = await ops_client.get("/health/worker")
    assert stopped.status_code == 503
    assert stopped.json()["status"] == "down"
