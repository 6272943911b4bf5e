"""Analytics reads (``reads.analytics``): backtest runs (pages newest first, by ids, their
series by ids), the organization's analytics settings, and what a backtest needs of market
data beyond closes: the first / last close dates per instrument (validation) and corporate
actions of many instruments. Lists are bound as one array parameter."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text

from fiscus.domain.backtesting.records import BacktestRecord, BacktestStatus
from fiscus.domain.marketdata import ActionKind, CorporateAction
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.repositories import ReadRepository

_PAGE = ReadQuery.of(
    text("""
    SELECT id, org_id, name, status, request, progress, summary, error, created_by,
      created_at, started_at, finished_at FROM backtests
    WHERE org_id = :org_id
      AND (created_at, id) < (CAST(:before_at AS timestamptz), CAST(:before_id AS uuid))
    ORDER BY created_at DESC, id DESC LIMIT :limit""")
)
_BY_IDS = ReadQuery.of(
    text("""
    SELECT id, org_id, name, status, request, progress, summary, error, created_by,
      created_at, started_at, finished_at FROM backtests
    WHERE org_id = :org_id AND id = ANY(CAST(:ids AS uuid[]))""")
)
_SERIES = ReadQuery.of(
    text("""
    SELECT id, series FROM backtests
    WHERE org_id = :org_id AND id = ANY(CAST(:ids AS uuid[])) AND series IS NOT NULL""")
)
_SETTINGS = ReadQuery.of(
    text("""
    SELECT risk_free_rate, risk_free_symbol FROM analytics_settings WHERE org_id = :org_id""")
)
# Per instrument: its first close ever, its first close on or after :start, its last close
# on or before :end.
_GLOBAL_RANGES = ReadQuery.of(
    text("""
    SELECT w.id,
      (SELECT min(day) FROM daily_prices WHERE instrument_id = w.id),
      (SELECT min(day) FROM daily_prices WHERE instrument_id = w.id AND day >= :start),
      (SELECT max(day) FROM daily_prices WHERE instrument_id = w.id AND day <= :end)
    FROM unnest(CAST(:ids AS uuid[])) AS w(id)""")
)
_MANUAL_RANGES = ReadQuery.of(
    text("""
    SELECT w.id,
      (SELECT min(day) FROM manual_prices WHERE org_id = :org_id AND instrument_id = w.id),
      (SELECT min(day) FROM manual_prices
       WHERE org_id = :org_id AND instrument_id = w.id AND day >= :start),
      (SELECT max(day) FROM manual_prices
       WHERE org_id = :org_id AND instrument_id = w.id AND day <= :end)
    FROM unnest(CAST(:ids AS uuid[])) AS w(id)""")
)
_ACTIONS = ReadQuery.of(
    text("""
    SELECT instrument_id, day, kind, ratio, amount FROM corporate_actions
    WHERE instrument_id = ANY(CAST(:ids AS uuid[])) AND day >= :start AND day <= :end
    ORDER BY instrument_id, day, kind""")
)
_EPOCH_END = (datetime(9999, 12, 31, tzinfo=UTC), UUID(int=2**128 - 1))


@dataclass(frozen=True, slots=True)
class PriceRange:
    first: date | None
    first_from_start: date | None
    last_to_end: date | None


@dataclass(frozen=True, slots=True)
class Settings:
    risk_free_rate: Decimal | None
    risk_free_symbol: str | None


def record_of(row: Any) -> BacktestRecord:
    return BacktestRecord(
        id=row["id"],
        org_id=row["org_id"],
        name=row["name"],
        status=BacktestStatus(row["status"]),
        request=dict(row["request"]),
        progress=Decimal(row["progress"]),
        summary=dict(row["summary"]) if row["summary"] is not None else None,
        error=dict(row["error"]) if row["error"] is not None else None,
        created_by=row["created_by"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


class AnalyticsReads(ReadRepository):
    async def backtests_page(
        self, *, before: tuple[datetime, UUID] | None, limit: int
    ) -> list[BacktestRecord]:
        before_at, before_id = before or _EPOCH_END
        rows = await self.fetch(
            _PAGE, org_id=self.org_id, before_at=before_at, before_id=before_id, limit=limit
        )
        return [record_of(r) for r in rows]

    async def backtests_by_ids(self, ids: Sequence[UUID]) -> list[BacktestRecord]:
        if not ids:
            return []
        rows = await self.fetch(_BY_IDS, org_id=self.org_id, ids=list(ids))
        return [record_of(r) for r in rows]

    async def backtest_series(self, ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
        if not ids:
            return {}
        rows = await self.fetch(_SERIES, org_id=self.org_id, ids=list(ids))
        return {r["id"]: dict(r["series"]) for r in rows}

    async def settings(self) -> Settings | None:
        row = await self.fetchrow(_SETTINGS, org_id=self.org_id)
        if row is None:
            return None
        rate = Decimal(row[0]) if row[0] is not None else None
        return Settings(rate, row[1])

    async def price_ranges(
        self, global_ids: Sequence[UUID], manual_ids: Sequence[UUID], start: date, end: date
    ) -> dict[UUID, PriceRange]:
        found: dict[UUID, PriceRange] = {}
        if global_ids:
            for r in await self.fetch(_GLOBAL_RANGES, ids=list(global_ids), start=start, end=end):
                found[r[0]] = PriceRange(r[1], r[2], r[3])
        if manual_ids:
            rows = await self.fetch(
                _MANUAL_RANGES, ids=list(manual_ids), start=start, end=end, org_id=self.org_id
            )
            for r in rows:
                found[r[0]] = PriceRange(r[1], r[2], r[3])
        return found

    async def corporate_actions(
        self, ids: Sequence[UUID], start: date, end: date
    ) -> dict[UUID, list[CorporateAction]]:
        found: dict[UUID, list[CorporateAction]] = defaultdict(list)
        if ids:
            for r in await self.fetch(_ACTIONS, ids=list(ids), start=start, end=end):
                found[r[0]].append(CorporateAction(r[1], ActionKind(r[2]), r[3], r[4]))
        return dict(found)
