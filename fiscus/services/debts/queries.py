"""Debt reads for the API: pages, debts by id, payments (set-based), and what is derived
from them — state, schedule, projection — computed off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.debts import (
    Debt,
    DebtPayment,
    DebtState,
    Schedule,
    full_schedule,
    projection,
    replay,
)
from fiscus.domain.identity import Principal
from fiscus.services.planning import PlanningContext


async def debts_page(
    ctx: PlanningContext,
    principal: Principal,
    *,
    status: str | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Debt]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.debts.page(status=status, after=after, limit=limit)


async def debts_by_ids(
    ctx: PlanningContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Debt]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return {d.id: d for d in await reads.debts.by_ids(ids)}


async def payments_of(
    ctx: PlanningContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, list[DebtPayment]]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.debts.payments(ids)


def state_of(debt: Debt, payments: Sequence[DebtPayment], today: date) -> DebtState:
    return replay(debt, payments, today)


async def schedule_of(debt: Debt, extra_per_month: Decimal) -> Schedule:
    """The schedule from the start as the terms state it (30 years: a few ms, off-loop)."""
    return await asyncio.to_thread(full_schedule, debt, extra_per_month=extra_per_month)


async def projection_of(
    debt: Debt, payments: Sequence[DebtPayment], today: date, extra_per_month: Decimal
) -> Schedule:
    """The periods after today, from the state the payments left."""

    def run() -> Schedule:
        return projection(debt, replay(debt, payments, today), extra_per_month=extra_per_month)

    return await asyncio.to_thread(run)
