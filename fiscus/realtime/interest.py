"""Which symbols clients watch, across every API replica, kept in Redis.

Each replica keeps its watched symbols in one Redis set (``{prefix}:streamer:interest:
{replica}``) that expires ``ttl`` after its last heartbeat, and its id in a sorted set
scored by that expiry (by Redis's clock, so replicas' clocks need not agree). The streamer
reads the union of the live replicas' sets; a replica that crashed stops counting once its
TTL lapses, and one that stops cleanly removes its interest at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

_CHUNK = 1000

# KEYS: replicas zset, this replica's set. ARGV: replica id, ttl ms, symbols...
_REGISTER_SCRIPT = """
local now = redis.call('TIME')
local expires = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[2])
redis.call('DEL', KEYS[2])
if #ARGV < 3 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 0
end
for first = 3, #ARGV, 1000 do
  redis.call('SADD', KEYS[2], unpack(ARGV, first, math.min(first + 999, #ARGV)))
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], expires, ARGV[1])
return #ARGV - 2
"""

# KEYS: replicas zset. ARGV: the key prefix of replicas' sets.
_UNION_SCRIPT = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
if #ids == 0 then return {} end
local keys = {}
for i, id in ipairs(ids) do keys[i] = ARGV[1] .. id end
return redis.call('SUNION', unpack(keys))
"""


def _replicas_key(prefix: str) -> str:
    return f"{prefix}:streamer:interest"


def _replica_key_prefix(prefix: str) -> str:
    return f"{prefix}:streamer:interest:"


class InterestRegistry:
    """One API replica's watched symbols: ``add``/``discard`` as local channels come and
    go; a background task writes the whole set at once on every change and every
    ``heartbeat_seconds``."""

    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str,
        *,
        ttl_seconds: float,
        heartbeat_seconds: float,
        replica_id: str | None = None,
    ) -> None:
        if heartbeat_seconds >= ttl_seconds:
            raise ValueError("the heartbeat must be shorter than the interest's TTL")
        self.replica_id = replica_id or uuid.uuid4().hex
        self._redis = redis
        self._prefix = prefix
        self._ttl_ms = max(int(ttl_seconds * 1000), 1)
        self._heartbeat = heartbeat_seconds
        self._symbols: set[str] = set()
        self._changed = asyncio.Event()
        self._written = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._register = redis.register_script(_REGISTER_SCRIPT)
        self.writes = 0

    @property
    def symbols(self) -> frozenset[str]:
        return frozenset(self._symbols)

    def add(self, symbol: str) -> None:
        if symbol not in self._symbols:
            self._symbols.add(symbol)
            self._mark_changed()

    def discard(self, symbol: str) -> None:
        if symbol in self._symbols:
            self._symbols.discard(symbol)
            self._mark_changed()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="interest-heartbeat")

    async def stop(self, *, forget: bool = True) -> None:
        """``forget=False`` leaves the interest to expire, as a crashed replica's would."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if forget:
            with contextlib.suppress(RedisError, OSError):
                await self._write([])

    async def flushed(self) -> None:
        """Wait until the current set has been written (tests, orderly hand-offs)."""
        while self._changed.is_set() or not self._written.is_set():
            self._written.clear()
            await self._written.wait()

    def _mark_changed(self) -> None:
        self._written.clear()
        self._changed.set()

    async def _run(self) -> None:
        while True:
            self._changed.clear()
            try:
                await self._write(sorted(self._symbols))
            except (RedisError, OSError) as error:
                logger.warning("interest registry: could not write (%s); retrying", error)
                await asyncio.sleep(min(1.0, self._heartbeat))
                continue
            if not self._changed.is_set():
                self._written.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), self._heartbeat)

    async def _write(self, symbols: Iterable[str]) -> None:
        keys = [_replicas_key(self._prefix), _replica_key_prefix(self._prefix) + self.replica_id]
        await self._register(keys=keys, args=[self.replica_id, self._ttl_ms, *symbols])
        self.writes += 1


class InterestUnion:
    """The streamer's view: the union of every live replica's watched symbols."""

    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self._prefix = prefix
        self._union = redis.register_script(_UNION_SCRIPT)

    async def symbols(self) -> frozenset[str]:
        members = await self._union(
            keys=[_replicas_key(self._prefix)], args=[_replica_key_prefix(self._prefix)]
        )
        return frozenset(m.decode() if isinstance(m, bytes) else str(m) for m in members)
