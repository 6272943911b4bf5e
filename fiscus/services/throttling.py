"""Login throttling: failed attempts counted per account and per client address in Redis."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from fiscus.config import AuthSettings
from fiscus.domain.errors import RateLimited


class LoginThrottle:
    def __init__(self, redis: Redis, prefix: str, settings: AuthSettings) -> None:
        self._redis = redis
        self._prefix = prefix
        self._settings = settings

    def _keys(self, email: str, address: str | None) -> list[tuple[str, int]]:
        account = hashlib.sha256(email.lower().encode()).hexdigest()[:32]
        keys = [
            (
                f"{self._prefix}:login-failures:account:{account}",
                self._settings.login_max_failures_per_account,
            )
        ]
        if address:
            keys.append(
                (
                    f"{self._prefix}:login-failures:address:{address}",
                    self._settings.login_max_failures_per_address,
                )
            )
        return keys

    async def check(self, email: str, address: str | None) -> None:
        keys = self._keys(email, address)
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, _ in keys:
                pipe.get(key)
                pipe.ttl(key)
            values = await pipe.execute()
        for index, (_, limit) in enumerate(keys):
            count, ttl = values[2 * index], values[2 * index + 1]
            if count is not None and int(count) >= limit:
                raise RateLimited(max(int(ttl), 1))

    async def record_failure(self, email: str, address: str | None) -> None:
        window = self._settings.login_window_seconds
        async with self._redis.pipeline(transaction=True) as pipe:
            for key, _ in self._keys(email, address):
                pipe.incr(key)
                pipe.expire(key, window, nx=True)
            await pipe.execute()

    async def record_success(self, email: str) -> None:
        await self._redis.delete(self._keys(email, None)[0][0])
