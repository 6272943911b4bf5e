"""Replicas' interest in symbols, across processes' Redis connections, on both Redis servers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from fiscus.realtime import channels
from fiscus.realtime.broker import Broker
from fiscus.realtime.hub import Hub
from fiscus.realtime.interest import InterestRegistry, InterestUnion


@pytest.fixture
def interest_prefix(redis_prefix: str) -> str:
    return f"{redis_prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def clients(each_redis_url: str) -> AsyncIterator[list[aioredis.Redis]]:
    """Three separate connections: two API replicas and the streamer."""
    opened = [aioredis.Redis.from_url(each_redis_url) for _ in range(3)]
    yield opened
    for client in opened:
        await client.aclose()


async def eventually(check, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a test helper
    async def poll() -> None:
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def test_the_union_spans_replicas_and_a_crashed_replicas_interest_expires(
    clients, interest_prefix
):
    first = InterestRegistry(clients[0], interest_prefix, ttl_seconds=1.0, heartbeat_seconds=0.2)
    second = InterestRegistry(clients[1], interest_prefix, ttl_seconds=1.0, heartbeat_seconds=0.2)
    union = InterestUnion(clients[2], interest_prefix)
    await first.start()
    await second.start()
    first.add("AAPL")
    first.add("MSFT")
    second.add("MSFT")
    second.add("BTC-USD")
    await first.flushed()
    await second.flushed()
    assert await union.symbols() == {"AAPL", "MSFT", "BTC-USD"}

    first.discard("AAPL")
    await first.flushed()
    assert await union.symbols() == {"MSFT", "BTC-USD"}

    await asyncio.sleep(1.3)  # past the TTL: the heartbeat keeps both alive
    assert await union.symbols() == {"MSFT", "BTC-USD"}

    await second.stop(forget=False)  # crashed: nobody removes its interest
    assert await union.symbols() == {"MSFT", "BTC-USD"}
    await asyncio.sleep(1.2)
    assert await union.symbols() == {"MSFT"}

    await first.stop()  # an orderly stop removes its interest at once
    assert await union.symbols() == frozenset()


async def test_the_hub_registers_the_price_channels_its_subscribers_watch(clients, interest_prefix):
    registry = InterestRegistry(clients[0], interest_prefix, ttl_seconds=5.0, heartbeat_seconds=1.0)
    broker = Broker(clients[0], interest_prefix, snapshot_ttl=60)
    hub = Hub(clients[1], broker, queue_size=16, interest=registry)
    union = InterestUnion(clients[2], interest_prefix)
    await registry.start()
    await hub.start()
    try:
        async with hub.subscribe(channels.price("aapl")), hub.subscribe(channels.price("AAPL")):
            async with hub.subscribe(channels.org_activity(uuid.uuid4())):
                await registry.flushed()
                assert await union.symbols() == {"AAPL"}
        await registry.flushed()
        assert await union.symbols() == frozenset()
    finally:
        await hub.stop()
        await registry.stop()
