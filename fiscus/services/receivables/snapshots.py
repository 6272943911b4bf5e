"""Delinquency snapshots: the aging per counterparty at each month's end, stored once (the
daily job stores the last month-end it has not stored yet), for trend reports that do not
change when later entries are back-dated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.receivables import AgingFigures
from fiscus.persistence.reads.receivables import AgingGroup
from fiscus.services.receivables.context import ReceivablesContext


def last_month_end(today: date) -> date:
    return today.replace(day=1) - timedelta(days=1)


async def receivables_organizations(ctx: ReceivablesContext) -> list[UUID]:
    async with ctx.unit() as uow:
        return await uow.properties.receivables_organizations()


async def take_snapshot(ctx: ReceivablesContext, org_id: UUID, as_of: date) -> int:
    """Stores the aging as of ``as_of`` per counterparty; returns the rows written (0 when
    it was stored before)."""
    async with ctx.reading(org_id) as reads:
        rows, _ = await reads.receivables.aging(as_of, AgingGroup.COUNTERPARTY)
    async with ctx.unit(org_id=org_id) as uow:
        written = await uow.receivables.store_snapshot(
            as_of,
            [(UUID(row.key), currency, row.figures) for currency, row in rows if row.key],
            ctx.clock(),
        )
        await uow.commit()
    return written


@dataclass(frozen=True, slots=True)
class TrendPoint:
    as_of: date
    currency: str
    figures: AgingFigures
    counterparties: int


async def delinquency_trend(
    ctx: ReceivablesContext, principal: Principal, from_day: date, to_day: date
) -> list[TrendPoint]:
    if to_day < from_day:
        raise ValidationFailed([FieldIssue("to", "INVALID", "`to` must not be before `from`.")])
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        found = await reads.receivables.snapshots(from_day, to_day)
    return [TrendPoint(*row) for row in found]
