"""Creating, changing and deleting budgets; each one transaction, audit-logged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.budgets import Budget, BudgetDraft, Rollover, checked_budget
from fiscus.domain.errors import NotFound
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import AccountType
from fiscus.persistence.models.budgets import BudgetRow
from fiscus.services.debts.terms import account_of
from fiscus.services.identity import audit
from fiscus.services.planning import PlanningContext


@dataclass(frozen=True, slots=True)
class BudgetChanges:
    name: str | None = None
    amount: Decimal | None = None
    rollover: Rollover | None = None
    alert_threshold_percent: Decimal | None = None


async def create_budget(
    ctx: PlanningContext,
    principal: Principal,
    *,
    name: str,
    account_id: UUID,
    include_subtree: bool,
    amount: Decimal,
    rollover: Rollover,
    alert_threshold_percent: Decimal,
    start_month: date,
) -> Budget:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        account = await account_of(uow, account_id, "accountId", [AccountType.EXPENSE])
        draft = checked_budget(
            BudgetDraft(
                name, amount, account.currency, rollover, alert_threshold_percent, start_month
            )
        )
        row = BudgetRow(
            org_id=principal.org_id,
            id=uuid.uuid4(),
            name=draft.name,
            account_id=account.id,
            include_subtree=include_subtree,
            amount=draft.amount,
            currency=account.currency,
            rollover=draft.rollover.value,
            alert_threshold_percent=draft.alert_threshold_percent,
            start_month=draft.start_month,
            created_by=principal.user_id,
            created_at=now,
        )
        await uow.budgets.add(row)
        await audit.record_by(
            uow,
            principal,
            action="budget.created",
            subject_type="budget",
            subject_id=row.id,
            at=now,
            details={"name": row.name, "amount": str(row.amount), "account": account.code},
        )
        await uow.commit()
    return row.to_domain()


async def update_budget(
    ctx: PlanningContext, principal: Principal, budget_id: UUID, changes: BudgetChanges
) -> Budget:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await uow.budgets.row(budget_id, for_update=True)
        if row is None:
            raise NotFound("No such budget.", "budgetId")
        draft = checked_budget(
            BudgetDraft(
                changes.name if changes.name is not None else row.name,
                changes.amount if changes.amount is not None else row.amount,
                row.currency,
                changes.rollover or Rollover(row.rollover),
                changes.alert_threshold_percent
                if changes.alert_threshold_percent is not None
                else row.alert_threshold_percent,
                row.start_month,
            )
        )
        row.name, row.amount = draft.name, draft.amount
        row.rollover = draft.rollover.value
        row.alert_threshold_percent = draft.alert_threshold_percent
        await uow.flush()
        await audit.record_by(
            uow,
            principal,
            action="budget.updated",
            subject_type="budget",
            subject_id=budget_id,
            at=now,
            details={"name": row.name, "amount": str(row.amount), "rollover": row.rollover},
        )
        await uow.commit()
    return row.to_domain()


async def delete_budget(ctx: PlanningContext, principal: Principal, budget_id: UUID) -> UUID:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await uow.budgets.row(budget_id, for_update=True)
        if row is None:
            raise NotFound("No such budget.", "budgetId")
        await uow.budgets.delete(budget_id)
        await audit.record_by(
            uow,
            principal,
            action="budget.deleted",
            subject_type="budget",
            subject_id=budget_id,
            at=now,
            details={"name": row.name},
        )
        await uow.commit()
    return budget_id
