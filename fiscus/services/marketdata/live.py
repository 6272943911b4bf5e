"""Live prices: which symbols a ``priceUpdates`` subscription may watch, the tick payload
published on ``channels.price(symbol)``, and the streamer wired to Redis and the broker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import redis.asyncio as aioredis

from fiscus.config import Settings
from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.marketdata import Instrument, Quote, normalize_symbol
from fiscus.marketdata.streamer import Streamer
from fiscus.marketdata.streaming import OpenStream
from fiscus.realtime import channels
from fiscus.realtime.broker import Broker, Envelope
from fiscus.realtime.interest import InterestUnion
from fiscus.realtime.lease import RedisLease, streamer_lease_key

LookupInstruments = Callable[[Sequence[str]], Awaitable[Mapping[str, Instrument]]]


async def live_symbols(
    symbols: Sequence[str], lookup: LookupInstruments, *, limit: int
) -> list[str]:
    """The normalized, deduplicated symbols to stream, in the caller's order, or
    ValidationFailed naming what is wrong: too many, malformed, unknown (to the caller: a
    manual instrument of another organization is unknown), or manual (no live prices)."""
    if not symbols:
        raise ValidationFailed([FieldIssue("symbols", "REQUIRED", "Give at least one symbol.")])
    if len(symbols) > limit:
        message = f"At most {limit} symbols per subscription ({len(symbols)} given)."
        raise ValidationFailed([FieldIssue("symbols", "TOO_LONG", message)])
    wanted: dict[str, None] = {}
    malformed: list[str] = []
    for symbol in symbols:
        try:
            wanted[normalize_symbol(symbol)] = None
        except ValidationFailed:
            malformed.append(symbol)
    found = await lookup(list(wanted)) if wanted else {}
    unknown = malformed + [symbol for symbol in wanted if symbol not in found]
    if unknown:
        message = "Unknown symbols: " + ", ".join(unknown) + "."
        raise ValidationFailed([FieldIssue("symbols", "NOT_FOUND", message)])
    manual = [symbol for symbol in wanted if found[symbol].is_manual]
    if manual:
        message = (
            "Manual instruments have no live prices: "
            + ", ".join(manual)
            + " (their prices are entered by hand)."
        )
        raise ValidationFailed([FieldIssue("symbols", "INVALID", message)])
    return list(wanted)


def tick_payload(quote: Quote) -> dict[str, Any]:
    """What a price channel carries: primitives only (prices as decimal strings)."""
    change = quote.change
    change_percent = quote.change_percent
    return {
        "symbol": quote.symbol,
        "price": str(quote.price),
        "change": None if change is None else str(change),
        "changePercent": None if change_percent is None else str(change_percent),
        "dayVolume": quote.day_volume,
        "at": quote.at.isoformat(),
    }


class QuotePublisher:
    def __init__(self, broker: Broker) -> None:
        self._broker = broker
        self.published = 0

    async def __call__(self, quote: Quote) -> None:
        await self._broker.publish(channels.price(quote.symbol), tick_payload(quote))
        self.published += 1


def build_streamer(
    settings: Settings, redis: aioredis.Redis, broker: Broker, open_stream: OpenStream
) -> Streamer:
    """The streamer of this deployment: its lease and interest under the Redis prefix,
    quotes published through the broker. ``open_stream`` is the provider's ``stream``."""
    config = settings.streamer
    prefix = settings.redis.prefix
    return Streamer(
        open_stream,
        InterestUnion(redis, prefix),
        RedisLease(redis, streamer_lease_key(prefix), ttl_seconds=config.lease_ttl_seconds),
        QuotePublisher(broker),
        poll_seconds=config.interest_poll_seconds,
        renew_seconds=config.lease_renew_seconds,
        stale_after=config.stale_after_seconds,
        min_backoff=config.reconnect_min_seconds,
        max_backoff=config.reconnect_max_seconds,
    )


@dataclass(frozen=True, slots=True)
class LiveQuote:
    """The last tick the streamer published for a symbol (the price channel's snapshot, the
    latest-price cache): as of ``at``, numbered ``seq`` on its channel."""

    symbol: str
    price: Decimal
    change: Decimal | None
    change_percent: Decimal | None
    day_volume: int | None
    at: datetime
    seq: int

    @classmethod
    def from_envelope(cls, envelope: Envelope) -> LiveQuote:
        payload = envelope.payload
        change, percent = payload.get("change"), payload.get("changePercent")
        volume = payload.get("dayVolume")
        return cls(
            symbol=payload["symbol"],
            price=Decimal(payload["price"]),
            change=None if change is None else Decimal(change),
            change_percent=None if percent is None else Decimal(percent),
            day_volume=None if volume is None else int(volume),
            at=datetime.fromisoformat(payload["at"]),
            seq=envelope.seq,
        )


async def live_quotes(broker: Broker, symbols: Sequence[str]) -> dict[str, LiveQuote]:
    """The latest tick of each symbol that has one, in one Redis round trip."""
    found = await broker.snapshots([channels.price(symbol) for symbol in symbols])
    return {
        symbol: LiveQuote.from_envelope(envelope)
        for symbol, envelope in zip(symbols, found, strict=True)
        if envelope is not None
    }
