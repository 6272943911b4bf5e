"""Throttling: attempts counted per subject (an account, a client address) in fixed windows
in Redis, under named limits.

Only commands every supported Redis (6.2 and newer, see the README) understands: the one
write is a Lua script that increments and, when the counter has no expiry yet, sets it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from redis.asyncio import Redis

from fiscus.config import AuthSettings
from fiscus.domain.errors import RateLimited

LOGIN_FAILURES_PER_ACCOUNT = "login-failures-per-account"
LOGIN_FAILURES_PER_ADDRESS = "login-failures-per-address"
SIGN_UPS_PER_ADDRESS = "sign-ups-per-address"
PASSWORD_RESETS_PER_ACCOUNT = "password-resets-per-account"
PASSWORD_RESETS_PER_ADDRESS = "password-resets-per-address"

# Returns count and seconds left for each key. A counter without an expiry (just created,
# or left by an older version) gets the window: atomic, and no EXPIRE option needed.
_COUNT_SCRIPT = """
local result = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local ttl = redis.call('TTL', key)
  if ttl < 0 then
    ttl = tonumber(ARGV[i])
    redis.call('EXPIRE', key, ttl)
  end
  result[2 * i - 1] = count
  result[2 * i] = ttl
end
return result
"""


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` per subject within a window of ``window_seconds`` that starts at
    the subject's first attempt."""

    name: str
    attempts: int
    window_seconds: int


def auth_limits(settings: AuthSettings) -> list[Limit]:
    return [
        Limit(
            LOGIN_FAILURES_PER_ACCOUNT,
            settings.login_max_failures_per_account,
            settings.login_window_seconds,
        ),
        Limit(
            LOGIN_FAILURES_PER_ADDRESS,
            settings.login_max_failures_per_address,
            settings.login_window_seconds,
        ),
        Limit(
            SIGN_UPS_PER_ADDRESS,
            settings.sign_up_max_per_address,
            settings.sign_up_window_seconds,
        ),
        Limit(
            PASSWORD_RESETS_PER_ACCOUNT,
            settings.password_reset_max_per_account,
            settings.password_reset_window_seconds,
        ),
        Limit(
            PASSWORD_RESETS_PER_ADDRESS,
            settings.password_reset_max_per_address,
            settings.password_reset_window_seconds,
        ),
    ]


Attempt = tuple[str, str | None]
"""(limit name, subject). A ``None`` subject (e.g. an unknown client address) is not
counted."""


class Throttle:
    def __init__(self, redis: Redis, prefix: str, limits: list[Limit]) -> None:
        self._redis = redis
        self._prefix = prefix
        self._limits = {limit.name: limit for limit in limits}
        self._count = redis.register_script(_COUNT_SCRIPT)

    def _counted(self, attempts: tuple[Attempt, ...]) -> list[tuple[str, Limit]]:
        counted = []
        for name, subject in attempts:
            limit = self._limits[name]
            if subject:
                digest = hashlib.sha256(subject.lower().encode()).hexdigest()[:32]
                counted.append((f"{self._prefix}:throttle:{name}:{digest}", limit))
        return counted

    async def check(self, *attempts: Attempt) -> None:
        """Raises RateLimited if any subject has used up its limit; counts nothing."""
        counted = self._counted(attempts)
        if not counted:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, _ in counted:
                pipe.get(key)
                pipe.ttl(key)
            values = await pipe.execute()
        waits = [
            int(values[2 * i + 1])
            for i, (_, limit) in enumerate(counted)
            if values[2 * i] is not None and int(values[2 * i]) >= limit.attempts
        ]
        if waits:
            raise RateLimited(max(*waits, 1))

    async def record(self, *attempts: Attempt) -> None:
        await self._record(self._counted(attempts))

    async def take(self, *attempts: Attempt) -> None:
        """Counts the attempt, then raises RateLimited if it went over any limit."""
        counted = self._counted(attempts)
        values = await self._record(counted)
        waits = [
            int(values[2 * i + 1])
            for i, (_, limit) in enumerate(counted)
            if int(values[2 * i]) > limit.attempts
        ]
        if waits:
            raise RateLimited(max(*waits, 1))

    async def forget(self, *attempts: Attempt) -> None:
        counted = self._counted(attempts)
        if counted:
            await self._redis.delete(*(key for key, _ in counted))

    async def _record(self, counted: list[tuple[str, Limit]]) -> list[int]:
        if not counted:
            return []
        values: list[int] = await self._count(
            keys=[key for key, _ in counted],
            args=[limit.window_seconds for _, limit in counted],
        )
        return values
