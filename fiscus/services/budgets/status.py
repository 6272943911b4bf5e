"""Budget status per month, for any number of budgets in one statement: spending comes from
the ledger's month rows (and today's month's day rows), never from the journal lines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from fiscus.domain.budgets import Budget, BudgetStatus, budget_status
from fiscus.domain.identity import Principal
from fiscus.persistence.reads.repositories import Reads
from fiscus.services.planning import PlanningContext


async def statuses_in(
    reads: Reads, budgets: Sequence[Budget], month: date, today: date
) -> dict[UUID, BudgetStatus]:
    if not budgets:
        return {}
    month = month.replace(day=1)
    earliest = min(min(b.start_month for b in budgets), date(month.year, 1, 1))
    spending = await reads.budgets.spending([b.id for b in budgets], earliest, month, today)
    return {b.id: budget_status(b, month, spending[b.id], today) for b in budgets}


async def statuses(
    ctx: PlanningContext, principal: Principal, budget_ids: Sequence[UUID], month: date
) -> dict[UUID, BudgetStatus]:
    """Two statements whatever the number of budgets: the budgets, their spending."""
    today = ctx.clock().date()
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        budgets = await reads.budgets.by_ids(budget_ids)
        return await statuses_in(reads, budgets, month, today)


async def budgets_page(
    ctx: PlanningContext, principal: Principal, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[Budget]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.budgets.page(after=after, limit=limit)


async def budgets_by_ids(
    ctx: PlanningContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Budget]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return {b.id: b for b in await reads.budgets.by_ids(ids)}
