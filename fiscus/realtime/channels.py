"""Every real-time channel fiscus uses, named in one place.

A ``Channel`` name is prefix-free (``price:AAPL``); the functions at the bottom turn it into
the Redis pub/sub channel and keys under the deployment's ``Settings.redis.prefix``, so two
deployments sharing a Redis never hear each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

ChannelKind = Literal["public", "org", "user"]

_MAX_SYMBOL_LENGTH = 32


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel name with its audience. Tenant channels never compare equal to public ones."""

    name: str
    kind: ChannelKind

    def __str__(self) -> str:
        return self.name


def price(symbol: str) -> Channel:
    """Public market data for one instrument, e.g. ``price:AAPL``."""
    normalized = symbol.strip().upper()
    too_long = len(normalized) > _MAX_SYMBOL_LENGTH
    if not normalized or too_long or any(char.isspace() for char in normalized):
        raise ValueError(f"Not a valid instrument symbol: {symbol!r}")
    return Channel(f"price:{normalized}", "public")


def price_symbol(channel: Channel) -> str | None:
    """The symbol of a ``price(symbol)`` channel; None for any other channel."""
    if channel.kind == "public" and channel.name.startswith("price:"):
        return channel.name[len("price:") :]
    return None


def org_activity(org_id: UUID) -> Channel:
    """Changes inside one organization (entries posted, holdings changed, alerts fired)."""
    return Channel(f"org:{org_id}:activity", "org")


def ledger_activity(org_id: UUID) -> Channel:
    """Journal entries posted in one organization (ids and dates only), after commit."""
    return Channel(f"org:{org_id}:ledger", "org")


def portfolio(org_id: UUID, portfolio_id: UUID) -> Channel:
    """One portfolio changed (transactions recorded, edited or deleted, a transfer, the
    cost-basis method): ``{"portfolio_id", "reason", "at"}`` after commit. Live valuations
    listen here to re-read holdings and cash."""
    return Channel(f"org:{org_id}:portfolio:{portfolio_id}", "org")


def backtest(org_id: UUID, backtest_id: UUID) -> Channel:
    """One backtest run's progress (status, fraction done, the error when it failed); the
    snapshot is the latest, so a late subscriber starts from where the run is."""
    return Channel(f"org:{org_id}:backtest:{backtest_id}", "org")


def import_progress(org_id: UUID, import_id: UUID) -> Channel:
    """One bank import's progress (rows read, lines created, status); the snapshot is its
    latest state, so a late subscriber starts from there."""
    return Channel(f"org:{org_id}:import:{import_id}", "org")


def user_access(user_id: UUID) -> Channel:
    """Fired when a user's membership or role changes or a session is revoked.

    Every open socket of that user re-checks its access when a message arrives here.
    """
    return Channel(f"user:{user_id}:access", "user")


def redis_channel(prefix: str, channel: Channel) -> str:
    return f"{prefix}:ch:{channel.name}"


def sequence_key(prefix: str, channel: Channel) -> str:
    return f"{prefix}:seq:{channel.name}"


def snapshot_key(prefix: str, channel: Channel) -> str:
    return f"{prefix}:snapshot:{channel.name}"


def channel_from_redis(prefix: str, redis_name: str) -> str:
    """The prefix-free channel name of a Redis pub/sub channel built by ``redis_channel``."""
    head = f"{prefix}:ch:"
    if not redis_name.startswith(head):
        raise ValueError(f"{redis_name!r} is not a fiscus channel under prefix {prefix!r}")
    return redis_name[len(head) :]
