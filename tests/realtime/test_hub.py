from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

from fiscus.realtime import channels
from fiscus.realtime.broker import Broker, Envelope
from fiscus.realtime.hub import Hub, Subscription


async def _next(subscription: Subscription, within: float = 2.0) -> Envelope:
    return await asyncio.wait_for(anext(subscription), within)


async def _numsub(redis: aioredis.Redis, prefix: str, channel: channels.Channel) -> int:
    [(_, count)] = await redis.pubsub_numsub(channels.redis_channel(prefix, channel))
    return int(count)


async def _eventually(condition: Callable[[], Awaitable[bool]], within: float = 3.0) -> None:
    async with asyncio.timeout(within):
        while not await condition():  # noqa: ASYNC110 - polling Redis / the hub's state
            await asyncio.sleep(0.02)


async def test_new_subscriber_gets_the_snapshot_first_then_live_updates(
    hub: Hub, broker: Broker
) -> None:
    channel = channels.price("AAPL")
    for n in range(3):
        await broker.publish(channel, {"price": str(n)})

    async with hub.subscribe(channel) as events:
        snapshot = await _next(events)
        await broker.publish(channel, {"price": "live"})
        live = await _next(events)

    assert (snapshot.seq, snapshot.payload) == (3, {"price": "2"})
    assert (live.seq, live.payload) == (4, {"price": "live"})


async def test_subscriber_of_a_silent_channel_waits_for_the_first_message(
    hub: Hub, broker: Broker
) -> None:
    channel = channels.org_activity(uuid.uuid4())
    async with hub.subscribe(channel) as events:
        assert events.pending == 0
        await broker.publish(channel, {"entry": "posted"})
        assert (await _next(events)).seq == 1


async def test_no_duplicates_and_no_gaps_while_publishing_concurrently(
    hub: Hub, broker: Broker
) -> None:
    channel = channels.price("AAPL")
    total = 400
    received: list[list[int]] = []

    async def publisher() -> None:
        for n in range(total):
            await broker.publish(channel, {"n": n})
            if n % 20 == 0:
                await asyncio.sleep(0)

    async def late_subscriber(delay: float) -> None:
        await asyncio.sleep(delay)
        seqs: list[int] = []
        received.append(seqs)
        async with hub.subscribe(channel) as events:
            async for envelope in events:
                seqs.append(envelope.seq)
                if envelope.seq == total:
                    return

    await asyncio.wait_for(
        asyncio.gather(publisher(), *(late_subscriber(i * 0.01) for i in range(8))), 15
    )

    for seqs in received:
        assert seqs[-1] == total
        assert seqs == list(range(seqs[0], total + 1)), "duplicates or gaps"


async def test_one_redis_subscription_per_channel_however_many_local_subscribers(
    hub: Hub, redis: aioredis.Redis, prefix: str, broker: Broker
) -> None:
    channel = channels.price("AAPL")
    subscriptions = [hub.subscribe(channel) for _ in range(50)]
    await asyncio.gather(*(subscription.__aenter__() for subscription in subscriptions))

    assert await _numsub(redis, prefix, channel) == 1
    await broker.publish(channel, {"price": "1"})
    for subscription in subscriptions:
        assert (await _next(subscription)).seq == 1

    for subscription in subscriptions[:-1]:
        await subscription.__aexit__(None, None, None)
    assert await _numsub(redis, prefix, channel) == 1

    await subscriptions[-1].__aexit__(None, None, None)
    await _eventually(lambda: _is_zero(_numsub(redis, prefix, channel)))
    assert hub.local_channel_count == 0


async def _is_zero(count: Awaitable[int]) -> bool:
    return await count == 0


async def test_slow_subscriber_is_conflated_to_a_bounded_queue(
    hub_redis: aioredis.Redis, broker: Broker
) -> None:
    small = Hub(hub_redis, broker, queue_size=8)
    await small.start()
    channel = channels.price("AAPL")
    try:
        async with small.subscribe(channel) as slow, small.subscribe(channel) as fast:
            fast_seqs: list[int] = []
            for n in range(100):
                await broker.publish(channel, {"n": n})
                while fast.pending:
                    fast_seqs.append((await _next(fast)).seq)
            await _eventually(lambda: _settled(slow, 100))
            await _eventually(lambda: _settled(fast, 100))
            while fast.pending:
                fast_seqs.append((await _next(fast)).seq)

            assert slow.pending == 8
            assert slow.dropped == 92
            drained = [(await _next(slow)).seq for _ in range(8)]
    finally:
        await small.stop()

    assert drained == list(range(93, 101)), "the latest values win"
    assert fast_seqs[-1] == 100


async def _settled(subscription: Subscription, last_seq: int) -> bool:
    return subscription._last_seq == last_seq


async def test_resync_after_the_hubs_connection_is_killed(
    hub_redis: aioredis.Redis, broker: Broker, redis: aioredis.Redis, prefix: str
) -> None:
    slow_to_reconnect = Hub(hub_redis, broker, queue_size=64, min_backoff_seconds=0.6)
    await slow_to_reconnect.start()
    channel = channels.price("AAPL")
    await broker.publish(channel, {"price": "1"})
    try:
        async with slow_to_reconnect.subscribe(channel) as events:
            assert (await _next(events)).seq == 1

            await _kill_pubsub_connection(redis, f"{prefix}-hub")
            await asyncio.sleep(0.1)
            for price in ("2", "3", "4"):  # published while the hub is disconnected: lost live
                await broker.publish(channel, {"price": price})

            resynced = await _next(events, within=5)
            await broker.publish(channel, {"price": "5"})
            live = await _next(events)
    finally:
        await slow_to_reconnect.stop()

    assert slow_to_reconnect.reconnects == 1
    assert (resynced.seq, resynced.payload) == (4, {"price": "4"})
    assert live.seq == 5
    await _eventually(lambda: _is_zero(_numsub(redis, prefix, channel)))


async def test_resync_accepts_a_restarted_sequence_after_redis_lost_its_data(
    hub: Hub, broker: Broker, redis: aioredis.Redis, prefix: str
) -> None:
    channel = channels.price("AAPL")
    for n in range(5):
        await broker.publish(channel, {"n": n})
    async with hub.subscribe(channel) as events:
        assert (await _next(events)).seq == 5

        await redis.delete(
            channels.sequence_key(prefix, channel), channels.snapshot_key(prefix, channel)
        )
        await _kill_pubsub_connection(redis, f"{prefix}-hub")
        await _eventually(lambda: _reconnected(hub))
        await _eventually(lambda: _is_one(_numsub(redis, prefix, channel)))
        await asyncio.sleep(0.1)

        await broker.publish(channel, {"n": "after restart"})
        after = await _next(events)

    assert (after.seq, after.payload) == (1, {"n": "after restart"})


async def _reconnected(hub: Hub) -> bool:
    return hub.reconnects >= 1


async def _is_one(count: Awaitable[int]) -> bool:
    return await count == 1


async def test_subscribers_end_when_the_hub_stops(
    hub_redis: aioredis.Redis, broker: Broker
) -> None:
    stopping = Hub(hub_redis, broker, queue_size=4)
    await stopping.start()
    async with stopping.subscribe(channels.price("AAPL")) as events:
        consumer = asyncio.create_task(_drain(events))
        await asyncio.sleep(0.05)
        await stopping.stop()
        assert await asyncio.wait_for(consumer, 2) == 0


async def _drain(events: Subscription) -> int:
    return len([envelope async for envelope in events])


async def _kill_pubsub_connection(redis: aioredis.Redis, client_name: str) -> None:
    clients = await redis.client_list(_type="pubsub")
    ids = [client["id"] for client in clients if client.get("name") == client_name]
    assert ids, f"no pub/sub connection named {client_name}"
    for client_id in ids:
        await redis.client_kill_filter(_id=client_id)
