"""Market-data writes. Global tables are written only through the SECURITY DEFINER
functions of migration 0003 (the app role may not touch them otherwise); tenant tables
(manual instruments and prices, watches) through the ORM session under RLS."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from fiscus.domain.marketdata import CorporateAction, DailyBar, InstrumentProfile
from fiscus.persistence.models.marketdata import (
    InstrumentRow,
    InstrumentWatchRow,
    ManualInstrumentRow,
)
from fiscus.persistence.repositories.base import AreaRepository

_UPSERT_INSTRUMENT = text(
    "SELECT fiscus_upsert_instrument(:symbol, :name, :kind, :currency, :exchange, :provider,"
    " :provider_symbol, :price_precision)"
)
_UPSERT_PRICES = text(
    "SELECT fiscus_upsert_daily_prices(:instrument, :source, CAST(:rows AS jsonb))"
)
_UPSERT_ACTIONS = text(
    "SELECT fiscus_upsert_corporate_actions(:instrument, :source, CAST(:rows AS jsonb))"
)
_WATCHED = text("SELECT fiscus_watched_instruments()")
# One statement for any batch size (the rows travel as one JSON parameter); writes only
# the days that changed. RLS checks org_id.
_UPSERT_MANUAL_PRICES = text("""
    WITH written AS (
      INSERT INTO manual_prices AS m (org_id, instrument_id, day, close, open, high, low,
                                      volume, source, entered_at, entered_by)
      SELECT :org_id, :instrument, r.day, r.close, r.open, r.high, r.low, r.volume, :source,
             :entered_at, :entered_by
      FROM jsonb_to_recordset(CAST(:rows AS jsonb))
           AS r(day date, close numeric, open numeric, high numeric, low numeric, volume bigint)
      ON CONFLICT (org_id, instrument_id, day) DO UPDATE SET
        close = EXCLUDED.close, open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
        volume = EXCLUDED.volume, source = EXCLUDED.source, entered_at = EXCLUDED.entered_at,
        entered_by = EXCLUDED.entered_by
      WHERE (m.close, m.open, m.high, m.low, m.volume, m.source)
        IS DISTINCT FROM (EXCLUDED.close, EXCLUDED.open, EXCLUDED.high, EXCLUDED.low,
                          EXCLUDED.volume, EXCLUDED.source)
      RETURNING 1)
    SELECT count(*) FROM written""")


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def bars_json(bars: Sequence[DailyBar]) -> str:
    return json.dumps(
        [
            {
                "day": b.day.isoformat(),
                "close": str(b.close),
                "open": _amount(b.open),
                "high": _amount(b.high),
                "low": _amount(b.low),
                "volume": b.volume,
            }
            for b in bars
        ]
    )


def actions_json(actions: Sequence[CorporateAction]) -> str:
    return json.dumps(
        [
            {
                "day": a.day.isoformat(),
                "kind": a.kind.value,
                "ratio": _amount(a.ratio),
                "amount": _amount(a.amount),
            }
            for a in actions
        ]
    )


class MarketDataRepository(AreaRepository):
    # Global instruments and prices (through the SECURITY DEFINER functions).

    async def global_by_symbol(self, symbol: str) -> InstrumentRow | None:
        result = await self.session.execute(
            select(InstrumentRow).where(InstrumentRow.symbol == symbol)
        )
        return result.scalar_one_or_none()

    async def upsert_instrument(
        self, profile: InstrumentProfile, *, provider: str, provider_symbol: str
    ) -> UUID:
        found: UUID = await self.session.scalar(
            _UPSERT_INSTRUMENT,
            {
                "symbol": profile.symbol,
                "name": profile.name,
                "kind": profile.kind.value,
                "currency": profile.currency,
                "exchange": profile.exchange,
                "provider": provider,
                "provider_symbol": provider_symbol,
                "price_precision": profile.price_precision,
            },
        )
        return found

    async def upsert_daily_prices(
        self, instrument_id: UUID, source: str, bars: Sequence[DailyBar]
    ) -> int:
        if not bars:
            return 0
        written = await self.session.scalar(
            _UPSERT_PRICES, {"instrument": instrument_id, "source": source, "rows": bars_json(bars)}
        )
        return int(written or 0)

    async def upsert_corporate_actions(
        self, instrument_id: UUID, source: str, actions: Sequence[CorporateAction]
    ) -> int:
        if not actions:
            return 0
        written = await self.session.scalar(
            _UPSERT_ACTIONS,
            {"instrument": instrument_id, "source": source, "rows": actions_json(actions)},
        )
        return int(written or 0)

    async def watched_instruments(self) -> list[UUID]:
        """Every instrument any organization watches (ids only; for the refresh cron)."""
        return list((await self.session.scalars(_WATCHED)).all())

    # The organization's own: manual instruments, their prices, watches.

    async def manual_by_symbol(self, symbol: str) -> ManualInstrumentRow | None:
        result = await self.session.execute(
            select(ManualInstrumentRow).where(
                ManualInstrumentRow.org_id == self.org_id, ManualInstrumentRow.symbol == symbol
            )
        )
        return result.scalar_one_or_none()

    async def add_manual(self, row: ManualInstrumentRow) -> ManualInstrumentRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def upsert_manual_prices(
        self,
        instrument_id: UUID,
        bars: Sequence[DailyBar],
        *,
        source: str,
        entered_at: datetime,
        entered_by: UUID,
    ) -> int:
        if not bars:
            return 0
        values: dict[str, Any] = {
            "org_id": self.org_id,
            "instrument": instrument_id,
            "source": source,
            "entered_at": entered_at,
            "entered_by": entered_by,
            "rows": bars_json(bars),
        }
        return int(await self.session.scalar(_UPSERT_MANUAL_PRICES, values) or 0)

    async def watch(self, instrument_id: UUID, *, by: UUID, at: datetime) -> bool:
        """True when the organization did not watch it yet."""
        statement = (
            insert(InstrumentWatchRow)
            .values(org_id=self.org_id, instrument_id=instrument_id, created_by=by, created_at=at)
            .on_conflict_do_nothing(index_elements=["org_id", "instrument_id"])
            .returning(InstrumentWatchRow.instrument_id)
        )
        return (await self.session.execute(statement)).first() is not None
