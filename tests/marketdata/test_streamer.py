"""The streamer: one active at a time (a Redis lease), standby takeover, the interest union
followed, ticks published on the symbols' channels through the real broker."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from fiscus.marketdata.streamer import Streamer
from fiscus.realtime import channels
from fiscus.realtime.broker import Broker
from fiscus.realtime.interest import InterestRegistry, InterestUnion
from fiscus.realtime.lease import RedisLease, streamer_lease_key
from fiscus.services.marketdata.live import QuotePublisher
from tests.marketdata.fakes import FakeStreamProvider, quote
from tests.marketdata.test_stream_supervisor import wait_until


@pytest.fixture
def prefix(redis_prefix: str) -> str:
    return f"{redis_prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def clients(each_redis_url: str) -> AsyncIterator[list[aioredis.Redis]]:
    opened = [aioredis.Redis.from_url(each_redis_url) for _ in range(3)]
    yield opened
    for client in opened:
        await client.aclose()


def make_streamer(
    redis: aioredis.Redis, prefix: str, provider: FakeStreamProvider, *, lease_ttl: float = 1.0
) -> tuple[Streamer, RedisLease]:
    lease = RedisLease(redis, streamer_lease_key(prefix), ttl_seconds=lease_ttl)
    streamer = Streamer(
        provider.stream,
        InterestUnion(redis, prefix),
        lease,
        QuotePublisher(Broker(redis, prefix, snapshot_ttl=60)),
        poll_seconds=0.05,
        renew_seconds=0.2,
        min_backoff=0.01,
        max_backoff=0.05,
    )
    return streamer, lease


@contextlib.asynccontextmanager
async def running(streamer: Streamer) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(streamer.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_one_streamer_is_active_and_a_standby_takes_over_when_it_stops(clients, prefix):
    registry = InterestRegistry(clients[2], prefix, ttl_seconds=5, heartbeat_seconds=1)
    await registry.start()
    registry.add("AAPL")
    await registry.flushed()
    first_provider, second_provider = FakeStreamProvider(), FakeStreamProvider()
    first, _ = make_streamer(clients[0], prefix, first_provider)
    second, _ = make_streamer(clients[1], prefix, second_provider)
    broker = Broker(clients[2], prefix, snapshot_ttl=60)
    try:
        async with running(first) as first_task:
            await asyncio.wait_for(first.became_active.wait(), 5)
            async with running(second):
                await first_provider.wait_subscribed({"AAPL"})
                await asyncio.sleep(0.6)  # the standby keeps trying, and keeps failing
                assert first.active and not second.active
                assert second_provider.opened == []
                first_provider.push(quote("AAPL", "187.25", previous="185"))
                await wait_until(lambda: first.supervisor is not None and first.supervisor.quotes)

                first_task.cancel()  # an orderly stop releases the lease
                await asyncio.wait_for(second.became_active.wait(), 2)
                await second_provider.wait_subscribed({"AAPL"})
                second_provider.push(quote("AAPL", "188.00", previous="185"))
                await wait_until(lambda: second.supervisor is not None and second.supervisor.quotes)
    finally:
        await registry.stop()

    snapshot = await broker.snapshot(channels.price("AAPL"))
    assert snapshot is not None and snapshot.seq == 2
    assert snapshot.payload == {
        "symbol": "AAPL",
        "price": "188.00",
        "change": "3.00",
        "changePercent": "1.6216",
        "dayVolume": 1000,
        "at": snapshot.payload["at"],
    }


async def test_a_standby_waits_until_a_silent_holders_lease_lapses(clients, prefix):
    frozen_holder = RedisLease(clients[0], streamer_lease_key(prefix), ttl_seconds=1.0)
    assert await frozen_holder.acquire()  # then never renews: a hung or crashed process
    standby, lease = make_streamer(clients[1], prefix, FakeStreamProvider())
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with running(standby):
        await asyncio.wait_for(standby.became_active.wait(), 3)
        took_over_after = loop.time() - started
        assert await lease.holder_now() == lease.holder
        assert not await frozen_holder.renew()  # the old holder cannot extend it any more
    assert 0.7 < took_over_after < 1.6
    assert await lease.holder_now() is None  # released on stop


async def test_the_streamer_follows_the_union_of_interest(clients, prefix):
    registry = InterestRegistry(clients[2], prefix, ttl_seconds=5, heartbeat_seconds=1)
    await registry.start()
    provider = FakeStreamProvider()
    streamer, _ = make_streamer(clients[0], prefix, provider)
    try:
        async with running(streamer):
            registry.add("AAPL")
            await provider.wait_subscribed({"AAPL"})
            registry.add("MSFT")
            await provider.wait_subscribed({"AAPL", "MSFT"})
            registry.discard("AAPL")
            registry.discard("MSFT")
            await wait_until(lambda: provider.open_connections == 0)
    finally:
        await registry.stop()
    assert provider.opened == [["AAPL"], ["AAPL", "MSFT"]]
