"""The throttle's counters, on the run's Redis and on the embedded Redis 6.2."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from fiscus.domain.errors import RateLimited
from fiscus.services.throttling import Limit, Throttle

WINDOW = 600
GUESSES = Limit("guesses", attempts=3, window_seconds=WINDOW)
OTHER = Limit("other", attempts=1, window_seconds=WINDOW)


@pytest.fixture
async def redis(each_redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(each_redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def throttle(redis: aioredis.Redis, redis_prefix: str) -> Throttle:
    return Throttle(redis, redis_prefix, [GUESSES, OTHER])


async def counters(redis: aioredis.Redis, prefix: str) -> list[bytes]:
    return [key async for key in redis.scan_iter(match=f"{prefix}:throttle:*")]


async def test_recorded_attempts_reach_the_limit_and_check_refuses_with_the_wait(throttle):
    for _ in range(GUESSES.attempts - 1):
        await throttle.record(("guesses", "ada@example.com"))
    await throttle.check(("guesses", "ada@example.com"))
    await throttle.record(("guesses", "ada@example.com"))

    with pytest.raises(RateLimited) as refused:
        await throttle.check(("guesses", "ada@example.com"))
    assert 0 < refused.value.retry_after_seconds <= WINDOW
    await throttle.check(("guesses", "bob@example.com"), ("other", "ada@example.com"))


async def test_take_counts_the_attempt_and_refuses_the_one_over_the_limit(throttle):
    for _ in range(GUESSES.attempts):
        await throttle.take(("guesses", "203.0.113.7"))
    with pytest.raises(RateLimited) as refused:
        await throttle.take(("guesses", "203.0.113.7"))
    assert 0 < refused.value.retry_after_seconds <= WINDOW


async def test_take_refuses_when_any_of_its_limits_is_used_up(throttle):
    await throttle.take(("other", "ada@example.com"))
    with pytest.raises(RateLimited):
        await throttle.take(("guesses", "203.0.113.7"), ("other", "ada@example.com"))


async def test_the_window_starts_at_the_first_attempt_and_does_not_slide(
    throttle, redis, redis_prefix
):
    await throttle.record(("guesses", "ada@example.com"))
    [key] = await counters(redis, redis_prefix)
    assert 0 < await redis.ttl(key) <= WINDOW
    await redis.expire(key, 5)

    await throttle.record(("guesses", "ada@example.com"))

    assert 0 < await redis.ttl(key) <= 5


async def test_a_counter_without_expiry_gets_the_window(throttle, redis, redis_prefix):
    await throttle.record(("guesses", "ada@example.com"))
    [key] = await counters(redis, redis_prefix)
    await redis.persist(key)

    await throttle.record(("guesses", "ada@example.com"))

    assert 0 < await redis.ttl(key) <= WINDOW


async def test_forget_clears_and_an_unknown_subject_is_not_counted(throttle, redis, redis_prefix):
    await throttle.record(("guesses", "ada@example.com"), ("guesses", None))
    assert len(await counters(redis, redis_prefix)) == 1
    await throttle.forget(("guesses", "ada@example.com"))
    assert await counters(redis, redis_prefix) == []
