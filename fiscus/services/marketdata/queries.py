"""Read side of market data: what queries, DataLoaders and the streamer call. Reads run on
the read path in the caller's tenant context, so an organization sees global instruments
and its own manual ones, never another's."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.marketdata import (
    CorporateAction,
    FxRate,
    Instrument,
    InstrumentKind,
    Observation,
    is_stale,
    normalize_currency,
    normalize_symbol,
)
from fiscus.domain.marketdata import fx as fx_rules
from fiscus.persistence.reads.marketdata import StoredBar
from fiscus.persistence.reads.repositories import Reads
from fiscus.services.marketdata.context import MarketDataContext
from fiscus.services.marketdata.live import LiveQuote
from fiscus.services.marketdata.live import live_quotes as fetch_live_quotes


def normalized_symbols(symbols: Sequence[str]) -> list[str]:
    """Valid symbols, normalized and deduplicated in order; invalid ones are dropped (they
    can name nothing)."""
    found: dict[str, None] = {}
    for symbol in symbols:
        try:
            found[normalize_symbol(symbol)] = None
        except ValidationFailed:
            continue
    return list(found)


async def instruments_by_symbols(
    ctx: MarketDataContext, principal: Principal | None, symbols: Sequence[str]
) -> dict[str, Instrument]:
    """The instruments these symbols name, keyed by normalized symbol (absent: unknown).
    The caller's organization's manual instruments come first; without a principal (the
    streamer) only global instruments are visible."""
    wanted = normalized_symbols(symbols)
    if not wanted:
        return {}
    async with _tenant(ctx, principal) as reads:
        found = await reads.marketdata.instruments_by_symbols(wanted)
    return {i.symbol: i for i in found}


@dataclass(frozen=True, slots=True)
class LatestPrice:
    """The close that holds on ``day`` (last observation carried forward): ``filled`` when
    it was observed earlier (``as_of < day``); ``is_stale`` by the instrument's cadence."""

    close: Decimal
    as_of: date
    day: date
    is_stale: bool
    source: str

    @property
    def filled(self) -> bool:
        return self.as_of != self.day


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Instrument]
    has_next: bool


async def search_instruments(
    ctx: MarketDataContext,
    principal: Principal,
    *,
    search: str | None,
    kinds: Sequence[InstrumentKind] | None,
    first: int,
    after: tuple[str, UUID] | None,
) -> Page:
    prefix = (search or "").strip()[:64]
    async with _tenant(ctx, principal) as reads:
        rows = await reads.marketdata.search(
            prefix=prefix,
            kinds=[k.value for k in kinds or ()],
            limit=first + 1,
            after=after,
        )
    return Page(rows[:first], len(rows) > first)


async def instrument_by_symbol(
    ctx: MarketDataContext, principal: Principal, symbol: str
) -> Instrument | None:
    found = await instruments_by_symbols(ctx, principal, [symbol])
    return next(iter(found.values()), None)


async def instruments_by_ids(
    ctx: MarketDataContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Instrument]:
    async with _tenant(ctx, principal) as reads:
        found = await reads.marketdata.instruments_by_ids(ids)
    return {i.id: i for i in found}


async def latest_prices(
    ctx: MarketDataContext, principal: Principal, instruments: Sequence[Instrument]
) -> dict[UUID, LatestPrice]:
    """Today's price of each instrument (LOCF from the newest stored close): at most two
    statements however many instruments."""
    today = ctx.clock().date()
    global_ids = [i.id for i in instruments if not i.is_manual]
    manual_ids = [i.id for i in instruments if i.is_manual]
    async with _tenant(ctx, principal) as reads:
        closes = await reads.marketdata.latest_closes(global_ids, manual_ids, today)
    answers: dict[UUID, LatestPrice] = {}
    for instrument in instruments:
        close = closes.get(instrument.id)
        if close is None:
            continue
        stale = is_stale(close.day, today, instrument.kind, manual=instrument.is_manual)
        answers[instrument.id] = LatestPrice(close.close, close.day, today, stale, close.source)
    return answers


async def prices_page(
    ctx: MarketDataContext,
    principal: Principal,
    instrument: Instrument,
    *,
    start: date,
    end: date,
    first: int,
    after: date | None,
) -> tuple[list[StoredBar], bool]:
    async with _tenant(ctx, principal) as reads:
        rows = await reads.marketdata.prices(
            instrument, start=start, end=end, after=after, limit=first + 1
        )
    return rows[:first], len(rows) > first


async def actions(
    ctx: MarketDataContext, principal: Principal, instrument: Instrument, *, start: date, end: date
) -> list[CorporateAction]:
    if instrument.is_manual:
        return []
    async with _tenant(ctx, principal) as reads:
        return await reads.marketdata.actions(instrument.id, start=start, end=end)


async def fx_rate(
    ctx: MarketDataContext, principal: Principal, *, base: str, quote: str, day: date | None
) -> FxRate:
    """How many ``quote`` one ``base`` buys on ``day`` (today when None); see
    ``fiscus.domain.marketdata.fx``. FxRateNotFound when no pair connects them."""
    issues = []
    try:
        base = normalize_currency(base, field_name="from")
    except ValidationFailed as failure:
        issues.extend(failure.issues)
    try:
        quote = normalize_currency(quote, field_name="to")
    except ValidationFailed as failure:
        issues.extend(failure.issues)
    if issues:
        raise ValidationFailed(issues)
    on = day or ctx.clock().date()
    if base == quote:
        return fx_rules.rate(base, quote, on, {})
    async with _tenant(ctx, principal) as reads:
        closes = await reads.marketdata.currency_closes(fx_rules.candidate_symbols(base, quote), on)
    observations = {s: Observation(s, close, as_of) for s, (as_of, close) in closes.items()}
    return fx_rules.rate(base, quote, on, observations)


def _tenant(
    ctx: MarketDataContext, principal: Principal | None
) -> AbstractAsyncContextManager[Reads]:
    if principal is None:
        return ctx.reading()
    return ctx.reading(org_id=principal.org_id, user_id=principal.user_id)


async def live_quotes(ctx: MarketDataContext, symbols: Sequence[str]) -> dict[str, LiveQuote]:
    """The latest tick of each global instrument's symbol, from the price channels'
    snapshots (the streamer's latest-price cache); empty without a broker."""
    if ctx.broker is None or not symbols:
        return {}
    return await fetch_live_quotes(ctx.broker, symbols)
