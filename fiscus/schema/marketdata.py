"""GraphQL types of market data. ``Instrument`` is a Relay node: global instruments are
visible to every member, manual ones to their organization only. Prices are ``Decimal``
(serialized as strings); nested latest prices come through the request's DataLoaders."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, NewType
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain import marketdata as domain
from fiscus.realtime.broker import Envelope
from fiscus.schema.errors import NotFoundError, RuleViolationError, ValidationError
from fiscus.schema.limits import max_items
from fiscus.schema.relay import Connection, Node, build_connection, check_first, to_global_id
from fiscus.services.marketdata import queries
from fiscus.services.marketdata.live import LiveQuote
from fiscus.services.marketdata.price_rows import MAX_ROWS
from fiscus.services.marketdata.queries import LatestPrice as DomainLatestPrice

strawberry.enum(domain.InstrumentKind, name="InstrumentKind")
strawberry.enum(domain.ActionKind, name="CorporateActionKind")

BigInt = NewType("BigInt", int)
BIG_INT_SCALAR = strawberry.scalar(
    name="BigInt",
    serialize=int,
    parse_value=int,
    description="A whole number that may exceed 32 bits (share volumes), as a JSON number.",
)
"""Registered for ``BigInt`` in the schema's ``scalar_map`` (``resolvers/root.py``)."""

EARLIEST = date(1900, 1, 1)


def encode_day_cursor(day: date) -> str:
    return base64.urlsafe_b64encode(day.isoformat().encode()).decode()


def decode_day_cursor(cursor: str | None) -> date | None:
    if cursor is None:
        return None
    try:
        return date.fromisoformat(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphQLError(
            "Invalid cursor.", extensions={"code": "BAD_USER_INPUT", "argument": "after"}
        ) from None


def encode_instrument_cursor(instrument: domain.Instrument) -> str:
    return base64.urlsafe_b64encode(f"{instrument.symbol}|{instrument.id}".encode()).decode()


def decode_instrument_cursor(cursor: str | None) -> tuple[str, UUID] | None:
    if cursor is None:
        return None
    try:
        symbol, _, raw = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return symbol, UUID(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphQLError(
            "Invalid cursor.", extensions={"code": "BAD_USER_INPUT", "argument": "after"}
        ) from None


@strawberry.type(description="The price that holds today: the newest close carried forward.")
class LatestPrice:
    close: Decimal
    as_of: date = strawberry.field(description="The day the close was observed.")
    is_stale: bool = strawberry.field(
        description="Older than the instrument's update cadence expects (docs/MARKETDATA.md)."
    )
    source: str
    filled: bool = strawberry.field(description="Carried forward from an earlier day.")

    @classmethod
    def from_domain(cls, price: DomainLatestPrice) -> LatestPrice:
        return cls(
            close=price.close,
            as_of=price.as_of,
            is_stale=price.is_stale,
            source=price.source,
            filled=price.filled,
        )


@strawberry.type(description="One stored day, unadjusted.")
class DailyPrice:
    date: date
    close: Decimal
    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    volume: BigInt | None
    source: str


@strawberry.type
class CorporateAction:
    date: date
    kind: domain.ActionKind
    ratio: Decimal | None = strawberry.field(description="New shares per old share (splits).")
    amount: Decimal | None = strawberry.field(description="Cash per share (dividends).")


@strawberry.type(description="How many `to` one `from` buys.")
class FxRate:
    rate: Decimal
    as_of: date = strawberry.field(description="The oldest as-of date of the prices used.")
    is_stale: bool
    path: list[str] = strawberry.field(description="The pair symbols used, in order.")

    @classmethod
    def from_domain(cls, answer: domain.FxRate) -> FxRate:
        return cls(
            rate=answer.rate, as_of=answer.as_of, is_stale=answer.is_stale, path=list(answer.path)
        )


@strawberry.type(description="One live price of one instrument.")
class PriceTick:
    symbol: str
    price: Decimal
    change: Decimal | None = strawberry.field(description="Against the previous close.")
    change_percent: Decimal | None
    day_volume: float | None = strawberry.field(description="Units traded today so far.")
    at: datetime = strawberry.field(description="When the provider quoted this price.")
    seq: int = strawberry.field(
        description="Grows with every tick of this symbol; a gap means ticks were conflated "
        "(a slow reader gets the latest price, not every tick)."
    )

    @classmethod
    def from_envelope(cls, envelope: Envelope) -> PriceTick:
        return cls.from_quote(LiveQuote.from_envelope(envelope))

    @classmethod
    def from_quote(cls, quote: LiveQuote) -> PriceTick:
        return cls(
            symbol=quote.symbol,
            price=quote.price,
            change=quote.change,
            change_percent=quote.change_percent,
            day_volume=None if quote.day_volume is None else float(quote.day_volume),
            at=quote.at,
            seq=quote.seq,
        )


@strawberry.type
class Instrument(Node):
    id: strawberry.ID
    symbol: str
    name: str
    kind: domain.InstrumentKind
    currency: str
    exchange: str | None
    provider: str | None
    is_manual: bool
    source: strawberry.Private[domain.Instrument]

    @strawberry.field(description="Null when no price is stored yet.")
    async def latest_price(self, info: Info) -> LatestPrice | None:
        found = await info.context.loaders.latest_prices.load(self.source)
        return LatestPrice.from_domain(found) if found else None

    @strawberry.field(
        description="The last live tick the streamer published (null when none yet, and "
        "for manual instruments). `latestPrice` is the newest stored daily close."
    )
    async def live_quote(self, info: Info) -> PriceTick | None:
        if self.is_manual:
            return None
        found = await info.context.loaders.live_quotes.load(self.symbol)
        return PriceTick.from_quote(found) if found else None

    @strawberry.field(description="Stored daily prices, oldest first.")
    async def prices(
        self,
        info: Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        first: int = 100,
        after: str | None = None,
    ) -> Connection[DailyPrice]:
        principal = await info.context.require_principal()
        rows, has_next = await queries.prices_page(
            info.context.marketdata,
            principal,
            self.source,
            start=from_ or EARLIEST,
            end=to or date.max,
            first=check_first(first),
            after=decode_day_cursor(after),
        )
        return build_connection(
            [
                DailyPrice(
                    date=r.bar.day,
                    close=r.bar.close,
                    open=r.bar.open,
                    high=r.bar.high,
                    low=r.bar.low,
                    volume=BigInt(r.bar.volume) if r.bar.volume is not None else None,
                    source=r.source,
                )
                for r in rows
            ],
            has_next=has_next,
            had_cursor=after is not None,
            cursor_of=lambda p: encode_day_cursor(p.date),
        )

    @strawberry.field(description="Splits and dividends, by ex-date.")
    async def actions(
        self,
        info: Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> list[CorporateAction]:
        principal = await info.context.require_principal()
        found = await queries.actions(
            info.context.marketdata,
            principal,
            self.source,
            start=from_ or EARLIEST,
            end=to or date.max,
        )
        return [
            CorporateAction(date=a.day, kind=a.kind, ratio=a.ratio, amount=a.amount) for a in found
        ]

    @classmethod
    def from_domain(cls, instrument: domain.Instrument) -> Instrument:
        return cls(
            id=to_global_id("Instrument", instrument.id),
            symbol=instrument.symbol,
            name=instrument.name,
            kind=instrument.kind,
            currency=instrument.currency,
            exchange=instrument.exchange,
            provider=instrument.provider,
            is_manual=instrument.is_manual,
            source=instrument,
        )


def instruments_connection(page: queries.Page, *, had_cursor: bool) -> Connection[Instrument]:
    return build_connection(
        [Instrument.from_domain(i) for i in page.items],
        has_next=page.has_next,
        had_cursor=had_cursor,
        cursor_of=lambda i: encode_instrument_cursor(i.source),
    )


@strawberry.input
class CreateManualInstrumentInput:
    symbol: str
    name: str
    kind: domain.InstrumentKind
    currency: str
    exchange: str | None = None
    price_precision: int = 2


@strawberry.type
class CreateManualInstrumentSuccess:
    instrument: Instrument


@strawberry.input(
    description='One day. Amounts are decimal strings ("185.64"), never floats; volume a '
    "whole number as a string."
)
class PriceInput:
    date: str = strawberry.field(description="YYYY-MM-DD")
    close: str
    open: str | None = None
    high: str | None = None
    low: str | None = None
    volume: str | None = None


@strawberry.input
class RecordPricesInput:
    symbol: str
    prices: list[PriceInput] = strawberry.field(
        description=f"At most {MAX_ROWS:,} rows, written in one transaction.",
        metadata=max_items(MAX_ROWS),
    )


@strawberry.input
class ImportPricesCsvInput:
    symbol: str
    csv: str = strawberry.field(
        description="date,close[,open,high,low,volume] with a header line (at most 800 kB)."
    )


@strawberry.type
class RecordPricesSuccess:
    instrument: Instrument
    received: int
    written: int = strawberry.field(description="Days inserted or changed.")


@strawberry.input
class TrackInstrumentInput:
    symbol: str


@strawberry.type
class TrackInstrumentSuccess:
    instrument: Instrument
    newly_watched: bool


def _union(name: str, *types: Any) -> Any:
    result = types[0]
    for t in types[1:]:
        result = result | t
    return Annotated[result, strawberry.union(name)]


CreateManualInstrumentResult = _union(
    "CreateManualInstrumentResult", CreateManualInstrumentSuccess, ValidationError
)
RecordPricesResult = _union(
    "RecordPricesResult", RecordPricesSuccess, ValidationError, NotFoundError, RuleViolationError
)
TrackInstrumentResult = _union(
    "TrackInstrumentResult",
    TrackInstrumentSuccess,
    ValidationError,
    NotFoundError,
    RuleViolationError,
)
