"""Goals: create, change, delete, and ``contributeToGoal`` (a ledger transfer between two
asset accounts, recorded against the goal; idempotent by key)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.debts.arithmetic import has_minor_scale
from fiscus.domain.errors import FieldIssue, NotFound, ValidationFailed
from fiscus.domain.goals import Goal, GoalDraft, GoalKind, GoalTracking, checked_goal
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import AccountType
from fiscus.domain.marketdata import normalize_currency
from fiscus.persistence.models.goals import GoalContributionRow, GoalRow
from fiscus.persistence.uow import UnitOfWork
from fiscus.services import idempotency
from fiscus.services.budgets import alerts
from fiscus.services.debts.terms import account_of, same_currency
from fiscus.services.identity import audit
from fiscus.services.ledger.posting import LineInput, post_in_unit
from fiscus.services.ledger.rules import clean_text
from fiscus.services.planning import PlanningContext

CONTRIBUTE_SCOPE = "goals.contribute"


@dataclass(frozen=True, slots=True)
class Contribution:
    goal: Goal
    entry_id: UUID
    amount: Decimal
    replayed: bool = False


async def _linked_accounts(uow: UnitOfWork, draft: GoalDraft) -> None:
    wanted = [AccountType.LIABILITY] if draft.kind is GoalKind.DEBT_FREE else [AccountType.ASSET]
    for i, account_id in enumerate(draft.account_ids):
        account = await account_of(uow, account_id, f"accountIds[{i}]", wanted)
        same_currency(account, draft.currency, f"accountIds[{i}]")


async def create_goal(ctx: PlanningContext, principal: Principal, draft: GoalDraft) -> Goal:
    draft = checked_goal(
        GoalDraft(
            draft.name,
            draft.kind,
            draft.target_amount,
            normalize_currency(draft.currency),
            draft.target_date,
            draft.priority,
            draft.tracking,
            draft.account_ids,
        )
    )
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        await _linked_accounts(uow, draft)
        row = GoalRow(
            org_id=principal.org_id,
            id=uuid.uuid4(),
            name=draft.name,
            kind=draft.kind.value,
            target_amount=draft.target_amount,
            currency=draft.currency,
            target_date=draft.target_date,
            priority=draft.priority,
            tracking=draft.tracking.value,
            created_by=principal.user_id,
            created_at=now,
        )
        await uow.goals.add(row, draft.account_ids)
        await audit.record_by(
            uow,
            principal,
            action="goal.created",
            subject_type="goal",
            subject_id=row.id,
            at=now,
            details={"name": row.name, "target": str(row.target_amount), "kind": row.kind},
        )
        await uow.commit()
    return row.to_domain(draft.account_ids)


@dataclass(frozen=True, slots=True)
class GoalChanges:
    name: str | None = None
    target_amount: Decimal | None = None
    target_date: date | None = None
    clear_target_date: bool = False
    priority: int | None = None
    account_ids: tuple[UUID, ...] | None = None


async def update_goal(
    ctx: PlanningContext, principal: Principal, goal_id: UUID, changes: GoalChanges
) -> Goal:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await uow.goals.row(goal_id, for_update=True)
        if row is None:
            raise NotFound("No such goal.", "goalId")
        current = row.to_domain(await uow.goals.account_ids(goal_id))
        draft = checked_goal(
            GoalDraft(
                changes.name if changes.name is not None else current.name,
                current.kind,
                changes.target_amount
                if changes.target_amount is not None
                else current.target_amount,
                current.currency,
                None if changes.clear_target_date else (changes.target_date or current.target_date),
                changes.priority if changes.priority is not None else current.priority,
                current.tracking,
                changes.account_ids if changes.account_ids is not None else current.account_ids,
            )
        )
        if changes.account_ids is not None:
            await _linked_accounts(uow, draft)
            await uow.goals.link(goal_id, draft.account_ids)
        row.name, row.target_amount = draft.name, draft.target_amount
        row.target_date, row.priority = draft.target_date, draft.priority
        await uow.flush()
        await audit.record_by(
            uow,
            principal,
            action="goal.updated",
            subject_type="goal",
            subject_id=goal_id,
            at=now,
            details={"name": row.name, "target": str(row.target_amount)},
        )
        await uow.commit()
    return row.to_domain(draft.account_ids)


async def delete_goal(ctx: PlanningContext, principal: Principal, goal_id: UUID) -> UUID:
    """The goal and its contribution records go; the ledger's transfers stay."""
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await uow.goals.row(goal_id, for_update=True)
        if row is None:
            raise NotFound("No such goal.", "goalId")
        await uow.goals.delete(goal_id)
        await audit.record_by(
            uow,
            principal,
            action="goal.deleted",
            subject_type="goal",
            subject_id=goal_id,
            at=now,
            details={"name": row.name},
        )
        await uow.commit()
    return goal_id


async def contribute_to_goal(
    ctx: PlanningContext,
    principal: Principal,
    goal_id: UUID,
    *,
    amount: Decimal,
    from_account_id: UUID,
    to_account_id: UUID,
    on: date,
    idempotency_key: str,
    memo: str | None = None,
) -> Contribution:
    key = idempotency.check_key(idempotency_key)
    memo = clean_text(memo)
    now = ctx.clock()
    contribution_id, entry_id = uuid.uuid4(), uuid.uuid4()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        replay = await idempotency.once(
            uow,
            scope=CONTRIBUTE_SCOPE,
            key=key,
            request={
                "goal": str(goal_id),
                "amount": str(amount),
                "from": str(from_account_id),
                "to": str(to_account_id),
                "date": on.isoformat(),
                "memo": memo,
            },
            result={"contribution_id": str(contribution_id), "entry_id": str(entry_id)},
            at=now,
        )
        row = await uow.goals.row(goal_id, for_update=replay is None)
        if row is None:
            raise NotFound("No such goal.", "goalId")
        goal = row.to_domain(await uow.goals.account_ids(goal_id))
        if replay is not None:
            return Contribution(goal, UUID(replay["entry_id"]), amount, replayed=True)
        if not amount.is_finite() or amount <= 0 or not has_minor_scale(amount, goal.currency):
            raise ValidationFailed(
                [FieldIssue("amount", "INVALID", f"A positive amount in {goal.currency}.")]
            )
        if from_account_id == to_account_id:
            raise ValidationFailed(
                [FieldIssue("toAccountId", "INVALID", "Move money between two accounts.")]
            )
        source = await account_of(uow, from_account_id, "fromAccountId", [AccountType.ASSET])
        target = await account_of(uow, to_account_id, "toAccountId", [AccountType.ASSET])
        same_currency(source, goal.currency, "fromAccountId")
        same_currency(target, goal.currency, "toAccountId")
        entry = await post_in_unit(
            uow,
            principal,
            entry_date=on,
            memo=memo or f"{goal.name}: contribution",
            lines=[LineInput(target.id, amount), LineInput(source.id, -amount)],
            now=now,
            action="goals.contribution_posted",
            entry_id=entry_id,
        )
        await uow.goals.add_contribution(
            GoalContributionRow(
                org_id=principal.org_id,
                id=contribution_id,
                goal_id=goal_id,
                entry_id=entry.id,
                contributed_on=on,
                amount=amount,
                created_at=now,
            )
        )
        await audit.record_by(
            uow,
            principal,
            action="goal.contributed",
            subject_type="goal",
            subject_id=goal_id,
            at=now,
            details={"amount": str(amount), "entry_id": str(entry.id), "date": on.isoformat()},
        )
        await uow.commit()
    await ctx.posted(principal, [entry])
    if goal.tracking is GoalTracking.CONTRIBUTIONS:
        await alerts.after_posting(ctx, principal, [], goal_ids=[goal_id])
    return Contribution(goal, entry.id, amount)
