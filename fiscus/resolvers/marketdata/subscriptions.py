"""priceUpdates: live prices of up to 200 symbols, the last known price first.

Over the WebSocket transport the subscription is split into one shared execution per
symbol (``_LIVE_PRICES`` below; ``transport/websocket/split.py``): every socket watching
a symbol with the same selection set shares that symbol's resolver run and serialised
payload. The resolver also serves the unsplit form (several symbols merged) for any other
caller of ``schema.subscribe``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from datetime import UTC, datetime, time
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain.errors import ValidationFailed
from fiscus.domain.marketdata import Instrument
from fiscus.realtime import channels
from fiscus.realtime.broker import Envelope
from fiscus.schema.marketdata import PriceTick
from fiscus.schema.permissions import Authenticated
from fiscus.services.marketdata import queries
from fiscus.services.marketdata.live import live_symbols


async def validated_symbols(context: Any, symbols: Sequence[str]) -> list[str]:
    """The symbols to stream, or one GraphQLError naming what is wrong with the list."""
    principal = await context.require_principal()
    marketdata = context.marketdata

    async def lookup(wanted: Sequence[str]) -> dict[str, Instrument]:
        return await queries.instruments_by_symbols(marketdata, principal, wanted)

    limit = marketdata.settings.streamer.max_symbols_per_subscription
    try:
        return await live_symbols(symbols, lookup, limit=limit)
    except ValidationFailed as failure:
        raise GraphQLError(
            failure.message, extensions={"code": failure.code, "field": failure.field}
        ) from None


# Read by the WebSocket transport (which sits above this layer, so no import): the result
# is the same for every caller (``PUBLIC_SCOPE_METADATA``), and it splits per symbol
# (``transport/websocket/split.py``), validating the whole list once with
# ``validated_symbols``.
_LIVE_PRICES = {
    "fiscus_realtime_scope": "public",
    "fiscus_split_argument": "symbols",
    "fiscus_split_prepare": validated_symbols,
}


@strawberry.type
class MarketDataSubscription:
    @strawberry.subscription(
        description="Live prices: for each symbol its last known price at once, then every "
        "tick. At most 200 symbols; a slow client gets the latest tick per symbol.",
        permission_classes=[Authenticated],
        metadata=_LIVE_PRICES,
    )
    async def price_updates(
        self, info: Info, symbols: list[str]
    ) -> AsyncGenerator[PriceTick, None]:
        wanted = await validated_symbols(info.context, symbols)
        hub = info.context.hub
        async with contextlib.AsyncExitStack() as stack:
            subscriptions = [
                await stack.enter_async_context(hub.subscribe(channels.price(symbol)))
                for symbol in wanted
            ]
            # A symbol nobody streamed yet (just watched, or its market is closed) has no
            # last tick: its last known price is then the newest stored close (seq 0).
            unticked = [s for s, sub in zip(wanted, subscriptions, strict=True) if not sub.pending]
            for tick in await _stored_closes(info, unticked):
                yield tick
            async for envelope in _merged(list(subscriptions)):
                yield PriceTick.from_envelope(envelope)


async def _stored_closes(info: Info, symbols: Sequence[str]) -> list[PriceTick]:
    if not symbols:
        return []
    principal = await info.context.require_principal()
    marketdata = info.context.marketdata
    found = await queries.instruments_by_symbols(marketdata, principal, symbols)
    latest = await queries.latest_prices(marketdata, principal, list(found.values()))
    ticks = []
    for symbol in symbols:
        instrument = found.get(symbol)
        price = latest.get(instrument.id) if instrument else None
        if price is not None:
            at = datetime.combine(price.as_of, time(), tzinfo=UTC)
            ticks.append(
                PriceTick(
                    symbol=symbol,
                    price=price.close,
                    change=None,
                    change_percent=None,
                    day_volume=None,
                    at=at,
                    seq=0,
                )
            )
    return ticks


async def _merged(streams: list[AsyncIterator[Envelope]]) -> AsyncIterator[Envelope]:
    """Envelopes of several hub subscriptions as they come; at most one read pending on
    each, so their bounded queues keep bounding memory."""
    if len(streams) == 1:
        async for envelope in streams[0]:
            yield envelope
        return
    pending = {asyncio.ensure_future(anext(stream)): stream for stream in streams}
    try:
        while pending:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for read in done:
                stream = pending.pop(read)
                try:
                    envelope = read.result()
                except StopAsyncIteration:
                    continue
                pending[asyncio.ensure_future(anext(stream))] = stream
                yield envelope
    finally:
        for read in pending:
            read.cancel()
