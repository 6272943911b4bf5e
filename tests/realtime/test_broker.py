"""The broker's Lua publish, on the run's Redis and on the embedded Redis 6.2."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from fiscus.realtime import channels
from fiscus.realtime.broker import Broker


@pytest.fixture
async def redis(each_redis_url: str, prefix: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(each_redis_url)
    yield client
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=500)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_each_publish_gets_the_next_sequence_number(broker: Broker) -> None:
    channel = channels.price("aapl")

    envelopes = [await broker.publish(channel, {"price": str(n)}) for n in range(1, 4)]

    assert [envelope.seq for envelope in envelopes] == [1, 2, 3]
    assert channel.name == "price:AAPL"


async def test_sequences_are_per_channel(broker: Broker) -> None:
    await broker.publish(channels.price("AAPL"), {"price": "1"})
    await broker.publish(channels.price("AAPL"), {"price": "2"})

    first_msft = await broker.publish(channels.price("MSFT"), {"price": "1"})

    assert first_msft.seq == 1


async def test_concurrent_publishers_never_share_a_sequence_number(broker: Broker) -> None:
    channel = channels.price("AAPL")

    envelopes = await asyncio.gather(*(broker.publish(channel, {"n": n}) for n in range(200)))

    assert sorted(envelope.seq for envelope in envelopes) == list(range(1, 201))
    snapshot = await broker.snapshot(channel)
    assert snapshot is not None and snapshot.seq == 200


async def test_snapshot_holds_the_last_value_with_a_ttl(
    broker: Broker, redis: aioredis.Redis, prefix: str
) -> None:
    channel = channels.price("AAPL")
    await broker.publish(channel, {"price": "100.00"})
    await broker.publish(channel, {"price": "101.50"})

    snapshot = await broker.snapshot(channel)

    assert snapshot is not None
    assert (snapshot.seq, snapshot.payload) == (2, {"price": "101.50"})
    assert snapshot.channel == channel
    ttl = await redis.ttl(channels.snapshot_key(prefix, channel))
    assert 0 < ttl <= 60


async def test_snapshot_of_a_silent_channel_is_none(broker: Broker) -> None:
    assert await broker.snapshot(channels.price("NOPE")) is None


async def test_published_message_is_a_json_envelope_on_the_prefixed_channel(
    broker: Broker, redis: aioredis.Redis, prefix: str
) -> None:
    channel = channels.price("AAPL")
    pubsub = redis.pubsub()
    await pubsub.subscribe(channels.redis_channel(prefix, channel))
    await pubsub.get_message(timeout=1)  # the subscribe confirmation

    sent = await broker.publish(channel, {"price": "1.23"})
    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=2)
    await pubsub.aclose()  # type: ignore[no-untyped-call]

    assert message is not None
    document = json.loads(message["data"])
    assert document["seq"] == sent.seq == 1
    assert document["payload"] == {"price": "1.23"}
    assert abs(document["ts"] - sent.published_at) < 0.001


def test_tenant_channels_are_never_public() -> None:
    import uuid

    org = channels.org_activity(uuid.uuid4())
    user = channels.user_access(uuid.uuid4())

    assert (org.kind, user.kind) == ("org", "user")
    assert channels.price("AAPL").kind == "public"
    assert channels.price("AAPL") != channels.Channel("price:AAPL", "org")


async def test_publish_many_is_publish_for_each_in_order_in_one_call(
    broker: Broker, redis: aioredis.Redis, prefix: str
) -> None:
    aapl, msft = channels.price("AAPL"), channels.price("MSFT")
    await broker.publish(aapl, {"price": "1"})
    pubsub = redis.pubsub()
    await pubsub.subscribe(channels.redis_channel(prefix, aapl))
    await pubsub.get_message(timeout=1)  # the subscribe confirmation

    sent = await broker.publish_many(
        [(aapl, {"price": "2"}), (msft, {"price": "7"}), (aapl, {"price": "3"})]
    )
    received = [await pubsub.get_message(ignore_subscribe_messages=True, timeout=2) for _ in "ab"]
    await pubsub.aclose()  # type: ignore[no-untyped-call]

    assert [(e.channel, e.seq, e.payload) for e in sent] == [
        (aapl, 2, {"price": "2"}),
        (msft, 1, {"price": "7"}),
        (aapl, 3, {"price": "3"}),
    ]
    documents = [json.loads(m["data"]) for m in received if m is not None]
    assert [(d["seq"], d["payload"]) for d in documents] == [
        (2, {"price": "2"}),
        (3, {"price": "3"}),
    ]
    snapshots = [await broker.snapshot(c) for c in (aapl, msft)]
    assert [(s.seq, s.payload) for s in snapshots if s] == [
        (3, {"price": "3"}),
        (1, {"price": "7"}),
    ]
    assert await broker.publish_many([]) == []
