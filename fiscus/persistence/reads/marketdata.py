"""Market-data reads: global instruments and prices, plus the current organization's
manual ones (RLS and an explicit ``org_id`` filter both apply to those)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import String, Uuid, any_, bindparam, null, select, text, union_all
from sqlalchemy.dialects.postgresql import ARRAY

from fiscus.domain.marketdata import (
    ActionKind,
    CorporateAction,
    DailyBar,
    Instrument,
    InstrumentKind,
)
from fiscus.persistence.models.marketdata import InstrumentRow, ManualInstrumentRow
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.repositories import ReadRepository


def _symbols(name: str) -> Any:
    return bindparam(name, type_=ARRAY(String()))


_GLOBAL_COLUMNS = (
    InstrumentRow.id,
    InstrumentRow.symbol,
    InstrumentRow.name,
    InstrumentRow.kind,
    InstrumentRow.currency,
    InstrumentRow.exchange,
    InstrumentRow.provider,
    InstrumentRow.provider_symbol,
    InstrumentRow.price_precision,
    null().cast(Uuid()).label("org_id"),
)
_MANUAL_COLUMNS = (
    ManualInstrumentRow.id,
    ManualInstrumentRow.symbol,
    ManualInstrumentRow.name,
    ManualInstrumentRow.kind,
    ManualInstrumentRow.currency,
    ManualInstrumentRow.exchange,
    null().cast(String()).label("provider"),
    null().cast(String()).label("provider_symbol"),
    ManualInstrumentRow.price_precision,
    ManualInstrumentRow.org_id,
)

_GLOBAL_BY_SYMBOLS = ReadQuery.of(
    select(*_GLOBAL_COLUMNS).where(InstrumentRow.symbol == any_(_symbols("symbols")))
)
_BY_SYMBOLS = ReadQuery.of(
    union_all(
        select(*_GLOBAL_COLUMNS).where(InstrumentRow.symbol == any_(_symbols("symbols"))),
        select(*_MANUAL_COLUMNS).where(
            ManualInstrumentRow.org_id == bindparam("org_id"),
            ManualInstrumentRow.symbol == any_(_symbols("symbols")),
        ),
    )
)


# Symbol or name prefix (LIKE patterns escaped by the caller), kinds (empty: all), keyset
# on (symbol, id). One statement whatever the filters.
# Global instruments plus the organization's manual ones (RLS and :org_id both apply).
_SEARCH = ReadQuery.of(
    text("""
    SELECT * FROM (
      SELECT id, symbol, name, kind, currency, exchange, provider, provider_symbol,
             price_precision, NULL::uuid AS org_id
      FROM instruments
      UNION ALL
      SELECT id, symbol, name, kind, currency, exchange, NULL, NULL, price_precision, org_id
      FROM manual_instruments WHERE org_id = :org_id) AS visible
    WHERE (:prefix = '' OR symbol LIKE :symbol_pattern OR lower(name) LIKE :name_pattern)
      AND (cardinality(CAST(:kinds AS text[])) = 0 OR kind = ANY(CAST(:kinds AS text[])))
      AND (symbol, id) > (:after_symbol, CAST(:after_id AS uuid))
    ORDER BY symbol, id
    LIMIT :limit""")
)
_BY_IDS = ReadQuery.of(
    text("""
    SELECT * FROM (
      SELECT id, symbol, name, kind, currency, exchange, provider, provider_symbol,
             price_precision, NULL::uuid AS org_id
      FROM instruments
      UNION ALL
      SELECT id, symbol, name, kind, currency, exchange, NULL, NULL, price_precision, org_id
      FROM manual_instruments WHERE org_id = :org_id) AS visible
    WHERE id = ANY(CAST(:ids AS uuid[]))""")
)

# The newest close on or before :day of each instrument: one index probe per instrument.
_LATEST_GLOBAL = ReadQuery.of(
    text("""
    SELECT w.id, p.day, p.close, p.source
    FROM unnest(CAST(:ids AS uuid[])) AS w(id)
    CROSS JOIN LATERAL (
      SELECT day, close, source FROM daily_prices
      WHERE instrument_id = w.id AND day <= :day ORDER BY day DESC LIMIT 1) AS p""")
)
_LATEST_MANUAL = ReadQuery.of(
    text("""
    SELECT w.id, p.day, p.close, p.source
    FROM unnest(CAST(:ids AS uuid[])) AS w(id)
    CROSS JOIN LATERAL (
      SELECT day, close, source FROM manual_prices
      WHERE org_id = :org_id AND instrument_id = w.id AND day <= :day
      ORDER BY day DESC LIMIT 1) AS p""")
)
# FX: the newest close on or before :day of each CURRENCY symbol asked for.
_LATEST_BY_SYMBOLS = ReadQuery.of(
    text("""
    SELECT i.symbol, p.day, p.close
    FROM instruments i
    CROSS JOIN LATERAL (
      SELECT day, close FROM daily_prices
      WHERE instrument_id = i.id AND day <= :day ORDER BY day DESC LIMIT 1) AS p
    WHERE i.symbol = ANY(CAST(:symbols AS text[])) AND i.kind = 'currency'""")
)
_PRICES_GLOBAL = ReadQuery.of(
    text("""
    SELECT day, close, open, high, low, volume, source, fetched_at FROM daily_prices
    WHERE instrument_id = :id AND day >= :start AND day <= :end AND day > :after
    ORDER BY day LIMIT :limit""")
)
_PRICES_MANUAL = ReadQuery.of(
    text("""
    SELECT day, close, open, high, low, volume, source, entered_at FROM manual_prices
    WHERE org_id = :org_id AND instrument_id = :id AND day >= :start AND day <= :end
      AND day > :after
    ORDER BY day LIMIT :limit""")
)
_ACTIONS = ReadQuery.of(
    text("""
    SELECT day, kind, ratio, amount FROM corporate_actions
    WHERE instrument_id = :id AND day >= :start AND day <= :end ORDER BY day, kind""")
)

_NO_TENANT = UUID(int=0)  # matches no organization: global rows only
_FIRST_KEY = ("", UUID(int=0))


@dataclass(frozen=True, slots=True)
class StoredClose:
    instrument_id: UUID
    day: date
    close: Decimal
    source: str


@dataclass(frozen=True, slots=True)
class StoredBar:
    bar: DailyBar
    source: str
    recorded_at: datetime


class MarketDataReads(ReadRepository):
    async def instruments_by_symbols(self, symbols: Sequence[str]) -> list[Instrument]:
        """Global instruments with these (normalized) symbols, plus the current
        organization's manual ones; where both exist, the manual one (the organization's
        own) shadows the global one. Without a tenant context: global ones only."""
        if not symbols:
            return []
        if self._org_id is None:
            rows = await self.fetch(_GLOBAL_BY_SYMBOLS, symbols=list(symbols))
        else:
            rows = await self.fetch(_BY_SYMBOLS, symbols=list(symbols), org_id=self._org_id)
        return _prefer_manual(instrument_of(r) for r in rows)

    @property
    def _tenant(self) -> UUID:
        return self._org_id if self._org_id is not None else _NO_TENANT

    async def search(
        self,
        *,
        prefix: str,
        kinds: Sequence[str],
        limit: int,
        after: tuple[str, UUID] | None,
    ) -> list[Instrument]:
        """Global and the organization's manual instruments, by symbol then id."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        after_symbol, after_id = after or _FIRST_KEY
        rows = await self.fetch(
            _SEARCH,
            org_id=self._tenant,
            prefix=prefix,
            symbol_pattern=escaped.upper() + "%",
            name_pattern=escaped.lower() + "%",
            kinds=list(kinds),
            after_symbol=after_symbol,
            after_id=str(after_id),
            limit=limit,
        )
        return [instrument_of(r) for r in rows]

    async def instruments_by_ids(self, ids: Sequence[UUID]) -> list[Instrument]:
        if not ids:
            return []
        rows = await self.fetch(_BY_IDS, org_id=self._tenant, ids=list(ids))
        return [instrument_of(r) for r in rows]

    async def latest_closes(
        self, global_ids: Sequence[UUID], manual_ids: Sequence[UUID], day: date
    ) -> dict[UUID, StoredClose]:
        """The newest stored close on or before ``day`` of each instrument that has one
        (one statement per table asked about)."""
        found: dict[UUID, StoredClose] = {}
        if global_ids:
            rows = await self.fetch(_LATEST_GLOBAL, ids=list(global_ids), day=day)
            found.update({r[0]: StoredClose(r[0], r[1], r[2], r[3]) for r in rows})
        if manual_ids:
            rows = await self.fetch(
                _LATEST_MANUAL, ids=list(manual_ids), day=day, org_id=self.org_id
            )
            found.update({r[0]: StoredClose(r[0], r[1], r[2], r[3]) for r in rows})
        return found

    async def currency_closes(
        self, symbols: Sequence[str], day: date
    ) -> dict[str, tuple[date, Decimal]]:
        rows = await self.fetch(_LATEST_BY_SYMBOLS, symbols=list(symbols), day=day)
        return {r[0]: (r[1], r[2]) for r in rows}

    async def prices(
        self,
        instrument: Instrument,
        *,
        start: date,
        end: date,
        after: date | None,
        limit: int,
    ) -> list[StoredBar]:
        """Stored (unadjusted) days, oldest first, keyset-paginated on the day."""
        values: dict[str, Any] = {
            "id": instrument.id,
            "start": start,
            "end": end,
            "after": after or date.min,
            "limit": limit,
        }
        if instrument.is_manual:
            rows = await self.fetch(_PRICES_MANUAL, org_id=self.org_id, **values)
        else:
            rows = await self.fetch(_PRICES_GLOBAL, **values)
        return [StoredBar(DailyBar(r[0], r[1], r[2], r[3], r[4], r[5]), r[6], r[7]) for r in rows]

    async def actions(
        self, instrument_id: UUID, *, start: date, end: date
    ) -> list[CorporateAction]:
        rows = await self.fetch(_ACTIONS, id=instrument_id, start=start, end=end)
        return [CorporateAction(r[0], ActionKind(r[1]), r[2], r[3]) for r in rows]


def _prefer_manual(found: Iterable[Instrument]) -> list[Instrument]:
    by_symbol: dict[str, Instrument] = {}
    for instrument in found:
        if instrument.is_manual or instrument.symbol not in by_symbol:
            by_symbol[instrument.symbol] = instrument
    return list(by_symbol.values())


def instrument_of(row: asyncpg.Record) -> Instrument:
    return Instrument(
        row[0],
        row[1],
        row[2],
        InstrumentKind(row[3]),
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
        org_id=row[9],
    )
