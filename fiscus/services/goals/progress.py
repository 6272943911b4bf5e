"""Goal progress for any number of goals in two statements (the goals, their savings from
the ledger's summaries and the contributions), and the milestones reached."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.goals import Goal, GoalKind, GoalProgress, GoalTracking, goal_progress
from fiscus.domain.goals.model import WINDOW_MONTHS
from fiscus.domain.identity import Principal
from fiscus.domain.ledger.statements.periods import add_months
from fiscus.persistence.reads.repositories import Reads
from fiscus.services.planning import PlanningContext


def saved_amounts(
    goal: Goal, balances: tuple[Decimal, Decimal, Decimal, Decimal]
) -> tuple[Decimal, Decimal]:
    """(saved now, saved WINDOW months ago) of one goal."""
    balance_now, balance_then, contributed_now, contributed_then = balances
    if goal.tracking is GoalTracking.CONTRIBUTIONS:
        return contributed_now, contributed_then
    if goal.kind is GoalKind.DEBT_FREE:
        # The linked liabilities' balances are what is still owed.
        zero = Decimal(0)
        return (
            max(goal.target_amount - balance_now, zero),
            max(goal.target_amount - balance_then, zero),
        )
    return balance_now, balance_then


async def progress_in(reads: Reads, goals: Sequence[Goal], today: date) -> dict[UUID, GoalProgress]:
    if not goals:
        return {}
    then = add_months(today, -WINDOW_MONTHS)
    savings = await reads.goals.savings([g.id for g in goals], today, then)
    found: dict[UUID, GoalProgress] = {}
    nothing = (Decimal(0), Decimal(0), Decimal(0), Decimal(0))
    for goal in goals:
        # A goal created after the caller's read snapshot began has no row there yet.
        now_saved, then_saved = saved_amounts(goal, savings.get(goal.id, nothing))
        found[goal.id] = goal_progress(goal, now_saved, then_saved, today)
    return found


async def progress(
    ctx: PlanningContext, principal: Principal, goal_ids: Sequence[UUID]
) -> dict[UUID, GoalProgress]:
    today = ctx.clock().date()
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await progress_in(reads, await reads.goals.by_ids(goal_ids), today)


async def goals_page(
    ctx: PlanningContext,
    principal: Principal,
    *,
    after: tuple[int, datetime, UUID] | None,
    limit: int,
) -> list[Goal]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.goals.page(after=after, limit=limit)


async def goals_by_ids(
    ctx: PlanningContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Goal]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return {g.id: g for g in await reads.goals.by_ids(ids)}
