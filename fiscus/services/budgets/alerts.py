"""What a committed posting may set off, checked right after it committed (the ledger's
``after_posting`` hook, with a fresh read that sees the posting):

- a budget over a posted account (or its subtree) that crossed its alert threshold, or
  whose month is projected to end over budget: ``budget.threshold_crossed`` /
  ``budget.projected_overspend``, once per budget, month and kind;
- a goal linked to a posted account that reached 25/50/75/100 %: ``goal.milestone_reached``,
  once per goal and milestone.

"Once" is a row per (org, budget, month, kind) and per (org, goal, percent), claimed with
``INSERT ... ON CONFLICT DO NOTHING``: concurrent postings race for the row and one wins.
The events are audit-logged and published on the organization's activity channel after
the claim commits. A posting touching no budget and no goal costs two statements (begin,
lookup) on the write pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from fiscus.domain.budgets import BudgetStatus, alerts_due
from fiscus.domain.goals import GoalProgress
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import JournalEntry
from fiscus.services.budgets.status import statuses_in
from fiscus.services.goals.progress import progress_in
from fiscus.services.identity import audit
from fiscus.services.planning import PlanningContext


async def after_posting(
    ctx: PlanningContext,
    principal: Principal,
    entries: Sequence[JournalEntry],
    *,
    goal_ids: Sequence[UUID] = (),
) -> int:
    """Answers how many events went out. ``goal_ids``: goals to check besides those linked
    to the posted accounts (a contribution's goal)."""
    accounts = sorted({line.account_id for entry in entries for line in entry.lines})
    months = sorted({entry.entry_date.replace(day=1) for entry in entries})
    if not accounts and not goal_ids:
        return 0
    today = ctx.clock().date()
    alerts: list[tuple[BudgetStatus, str]] = []
    reached: list[tuple[GoalProgress, int]] = []
    # On the write pool, never the read pool: the request that posted may still hold its
    # read connection, and waiting for a second one could starve the pool.
    async with ctx.uow.statements(
        org_id=principal.org_id, user_id=principal.user_id, transaction=True
    ) as unit:
        reads = unit.reads
        budget_ids, linked = await reads.budgets.touched_by(accounts)
        goal_ids = sorted({*linked, *goal_ids})
        if budget_ids:
            budgets = await reads.budgets.by_ids(budget_ids)
            for month in months:
                for status in (await statuses_in(reads, budgets, month, today)).values():
                    alerts.extend((status, kind.value) for kind in alerts_due(status))
        if goal_ids:
            goals = await reads.goals.by_ids(goal_ids)
            for progress in (await progress_in(reads, goals, today)).values():
                reached.extend((progress, m) for m in progress.milestones)
        await unit.commit()  # nothing written: ends the transaction before the release
    if not alerts and not reached:
        return 0
    sent = 0
    now = ctx.clock()
    entry_ids = [str(e.id) for e in entries]
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        for status, kind in alerts:
            month = status.month
            if not await uow.budgets.claim_alert(
                status.budget_id, month, kind, status.spent, status.available
            ):
                continue
            await audit.record_by(
                uow,
                principal,
                action=f"budget.{kind}",
                subject_type="budget",
                subject_id=status.budget_id,
                at=now,
                details={
                    "month": month.isoformat()[:7],
                    "spent": str(status.spent),
                    "available": str(status.available),
                    "percent_used": None
                    if status.percent_used is None
                    else str(status.percent_used),
                    "projected_spend": str(status.projected_spend),
                    "entries": entry_ids,
                },
            )
            sent += 1
        for progress, milestone in reached:
            if not await uow.goals.claim_milestone(progress.goal_id, milestone):
                continue
            await audit.record_by(
                uow,
                principal,
                action="goal.milestone_reached",
                subject_type="goal",
                subject_id=progress.goal_id,
                at=now,
                details={
                    "milestone": milestone,
                    "saved": str(progress.saved),
                    "target": str(progress.target),
                },
            )
            sent += 1
        await uow.commit()
    return sent
