"""Real Redis for the real-time tests, isolated by a key prefix unique to each test."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from fiscus.realtime.broker import Broker
from fiscus.realtime.hub import Hub

SESSION_PREFIX = f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def prefix() -> str:
    return f"{SESSION_PREFIX}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def redis(redis_url: str, prefix: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=500)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def broker(redis: aioredis.Redis, prefix: str) -> Broker:
    return Broker(redis, prefix, snapshot_ttl=60)


@pytest.fixture
async def hub_redis(redis_url: str, prefix: str) -> AsyncIterator[aioredis.Redis]:
    """The hub's own client, named so a test can find and kill exactly its connection."""
    client = aioredis.Redis.from_url(redis_url, client_name=f"{prefix}-hub")
    yield client
    await client.aclose()


@pytest.fixture
async def hub(hub_redis: aioredis.Redis, broker: Broker) -> AsyncIterator[Hub]:
    started = Hub(hub_redis, broker, queue_size=1024)
    await started.start()
    await asyncio.wait_for(started.wait_connected(), 5)
    yield started
    await started.stop()
