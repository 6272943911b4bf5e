"""Market-data reads: global instruments and prices, plus the current organization's
manual ones (RLS and an explicit ``org_id`` filter both apply to those)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy import String, Uuid, any_, bindparam, null, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY

from fiscus.domain.marketdata import Instrument, InstrumentKind
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


def _prefer_manual(found: Any) -> list[Instrument]:
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
