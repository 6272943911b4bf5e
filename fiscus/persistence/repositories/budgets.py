"""Budget and goal writes (units of work), reached lazily as ``uow.budgets`` and
``uow.goals``. Alerts and milestones are claimed with ``INSERT ... ON CONFLICT DO
NOTHING``: the first claim wins, so each goes out once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy import delete, select, text

from fiscus.persistence.models.budgets import BudgetRow
from fiscus.persistence.models.goals import GoalAccountRow, GoalContributionRow, GoalRow
from fiscus.persistence.repositories.base import AreaRepository

_CLAIM_ALERT = text("""
    INSERT INTO budget_alerts (org_id, budget_id, month, kind, emitted_at, spent, available)
    VALUES (:org_id, :budget_id, :month, :kind, now(), :spent, :available)
    ON CONFLICT DO NOTHING RETURNING 1""")
_CLAIM_MILESTONE = text("""
    INSERT INTO goal_milestones (org_id, goal_id, percent, reached_at)
    VALUES (:org_id, :goal_id, :percent, now())
    ON CONFLICT DO NOTHING RETURNING 1""")


class BudgetsRepository(AreaRepository):
    async def add(self, row: BudgetRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def row(self, budget_id: UUID, *, for_update: bool = False) -> BudgetRow | None:
        statement = select(BudgetRow).where(
            BudgetRow.org_id == self.org_id, BudgetRow.id == budget_id
        )
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def delete(self, budget_id: UUID) -> None:
        await self.session.execute(
            delete(BudgetRow).where(BudgetRow.org_id == self.org_id, BudgetRow.id == budget_id)
        )

    async def claim_alert(
        self, budget_id: UUID, month: date, kind: str, spent: Decimal, available: Decimal
    ) -> bool:
        claimed = await self.session.scalar(
            _CLAIM_ALERT,
            {
                "org_id": self.org_id,
                "budget_id": budget_id,
                "month": month,
                "kind": kind,
                "spent": spent,
                "available": available,
            },
        )
        return bool(claimed)


class GoalsRepository(AreaRepository):
    async def add(self, row: GoalRow, account_ids: Sequence[UUID]) -> None:
        self.session.add(row)
        await self.session.flush()
        await self.link(row.id, account_ids)

    async def link(self, goal_id: UUID, account_ids: Sequence[UUID]) -> None:
        await self.session.execute(
            delete(GoalAccountRow).where(
                GoalAccountRow.org_id == self.org_id, GoalAccountRow.goal_id == goal_id
            )
        )
        for account_id in account_ids:
            self.session.add(
                GoalAccountRow(org_id=self.org_id, goal_id=goal_id, account_id=account_id)
            )
        await self.session.flush()

    async def row(self, goal_id: UUID, *, for_update: bool = False) -> GoalRow | None:
        statement = select(GoalRow).where(GoalRow.org_id == self.org_id, GoalRow.id == goal_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def account_ids(self, goal_id: UUID) -> tuple[UUID, ...]:
        rows = await self.session.execute(
            select(GoalAccountRow.account_id).where(
                GoalAccountRow.org_id == self.org_id, GoalAccountRow.goal_id == goal_id
            )
        )
        return tuple(rows.scalars().all())

    async def delete(self, goal_id: UUID) -> None:
        await self.session.execute(
            delete(GoalRow).where(GoalRow.org_id == self.org_id, GoalRow.id == goal_id)
        )

    async def add_contribution(self, row: GoalContributionRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def claim_milestone(self, goal_id: UUID, percent: int) -> bool:
        claimed = await self.session.scalar(
            _CLAIM_MILESTONE, {"org_id": self.org_id, "goal_id": goal_id, "percent": percent}
        )
        return bool(claimed)
