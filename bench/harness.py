"""What the benches share: a scratch database and Redis prefix on the machine's servers,
settings for them, and a `fiscus serve` process on a loopback port.

FISCUS_BENCH_DATABASE_URL (an owner/superuser URL of the server to create the scratch
database on) and FISCUS_BENCH_REDIS_URL point elsewhere.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis.asyncio as aioredis
from pydantic import SecretStr
from sqlalchemy import make_url

from fiscus.config import Settings

ADMIN_URL = os.environ.get(
    "FISCUS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("FISCUS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "bench-secret-" + "x" * 40
STARTUP_SECONDS = 60


def bench_settings(database: str, prefix: str, data_dir: Path, **overrides: Any) -> Settings:
    url = make_url(ADMIN_URL).set(database=database).render_as_string(hide_password=False)
    values: dict[str, Any] = {
        "env": "development",
        "data_dir": data_dir,
        "log_level": "WARNING",
        "database": {"url": url},
        "redis": {"url": REDIS_URL, "prefix": prefix},
        "auth": {"jwt_secret": SecretStr(SECRET)},
        "graphql": {"graphiql": False},
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def scratch(name: str) -> AsyncIterator[tuple[str, str]]:
    """(database name, Redis prefix), dropped and deleted afterwards."""
    database = f"fiscus_bench_{name}_{os.getpid()}"
    prefix = f"fiscus-bench-{uuid.uuid4().hex[:8]}"
    await admin(f"CREATE DATABASE {database}")
    try:
        yield database, prefix
    finally:
        await admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        await delete_prefix(prefix)


def start_server(
    settings: Settings, port: int, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`fiscus serve` (no access log) for ``settings``' database, Redis and prefix."""
    assert settings.database.url is not None and settings.redis.url is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("FISCUS_")}
    env.update(
        {
            "FISCUS_DATABASE_URL": settings.database.url.get_secret_value(),
            "FISCUS_REDIS_URL": settings.redis.url,
            "FISCUS_REDIS_PREFIX": settings.redis.prefix,
            "FISCUS_AUTH_JWT_SECRET": SECRET,
            "FISCUS_GRAPHQL_GRAPHIQL": "false",
            "FISCUS_LOG_LEVEL": "WARNING",
            "FISCUS_DATA_DIR": str(settings.data_dir),
            **(extra_env or {}),
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


async def wait_ready(
    server: subprocess.Popen[bytes], base: str, query: str = "{ __typename }"
) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with {server.returncode}")
            try:
                response = await client.post("/graphql", json={"query": query})
                if response.status_code in (200, 401):
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the server did not become ready")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def admin(sql: str) -> None:
    plain = make_url(ADMIN_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def delete_prefix(prefix: str) -> None:
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
