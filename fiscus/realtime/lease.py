"""A Redis lease: at most one holder at a time, renewed while it lives.

``SET key holder NX PX ttl`` takes it; renewal and release compare the holder first (Lua),
so a holder whose lease lapsed and was taken over can never extend or delete the new
holder's lease. Only Redis 6.2 commands (the embedded server).
"""

from __future__ import annotations

import uuid

import redis.asyncio as aioredis

_RENEW_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLease:
    def __init__(
        self, redis: aioredis.Redis, key: str, *, ttl_seconds: float, holder: str | None = None
    ) -> None:
        self.key = key
        self.holder = holder or uuid.uuid4().hex
        self._redis = redis
        self._ttl_ms = max(int(ttl_seconds * 1000), 1)
        self._renew = redis.register_script(_RENEW_SCRIPT)
        self._release = redis.register_script(_RELEASE_SCRIPT)

    async def acquire(self) -> bool:
        """Take the lease if nobody holds it (or extend it if we already do)."""
        if await self._redis.set(self.key, self.holder, nx=True, px=self._ttl_ms):
            return True
        return await self.renew()

    async def renew(self) -> bool:
        return bool(await self._renew(keys=[self.key], args=[self.holder, self._ttl_ms]))

    async def release(self) -> None:
        await self._release(keys=[self.key], args=[self.holder])

    async def holder_now(self) -> str | None:
        raw = await self._redis.get(self.key)
        return None if raw is None else raw.decode() if isinstance(raw, bytes) else str(raw)


def streamer_lease_key(prefix: str) -> str:
    return f"{prefix}:streamer:lease"
