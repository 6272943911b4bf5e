"""Budget and goal mutations (``budgets:write``); contributions move money, with a key."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from fiscus.domain.goals import GoalDraft
from fiscus.domain.identity import Permission
from fiscus.resolvers.budgets.queries import budget_id, goal_id
from fiscus.resolvers.ledger import ids
from fiscus.schema import budgets as types
from fiscus.schema.errors import attempt
from fiscus.schema.permissions import requires
from fiscus.schema.relay import to_global_id
from fiscus.services.budgets import manage as budgets
from fiscus.services.goals import manage as goals

WRITE = [requires(Permission.BUDGETS_WRITE)]


@strawberry.type
class BudgetsMutation:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_budget(self, info: Info, input: types.CreateBudgetInput) -> types.BudgetResult:
        principal = await info.context.require_principal()

        async def run() -> types.BudgetSuccess:
            created = await budgets.create_budget(
                info.context.planning,
                principal,
                name=input.name,
                account_id=ids.account_id(input.account_id),
                include_subtree=input.include_subtree,
                amount=input.amount,
                rollover=input.rollover,
                alert_threshold_percent=input.alert_threshold_percent,
                start_month=input.start_month,
            )
            return types.BudgetSuccess(budget=types.Budget.from_domain(created))

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def update_budget(self, info: Info, input: types.UpdateBudgetInput) -> types.BudgetResult:
        principal = await info.context.require_principal()

        async def run() -> types.BudgetSuccess:
            changes = budgets.BudgetChanges(
                input.name, input.amount, input.rollover, input.alert_threshold_percent
            )
            updated = await budgets.update_budget(
                info.context.planning, principal, budget_id(input.budget_id), changes
            )
            return types.BudgetSuccess(budget=types.Budget.from_domain(updated))

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_budget(
        self, info: Info, input: types.BudgetIdInput
    ) -> types.DeleteBudgetResult:
        principal = await info.context.require_principal()

        async def run() -> types.DeleteBudgetSuccess:
            gone = await budgets.delete_budget(
                info.context.planning, principal, budget_id(input.budget_id)
            )
            return types.DeleteBudgetSuccess(deleted_budget_id=to_global_id("Budget", gone))

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def create_goal(self, info: Info, input: types.CreateGoalInput) -> types.GoalResult:
        principal = await info.context.require_principal()

        async def run() -> types.GoalSuccess:
            draft = GoalDraft(
                input.name,
                input.kind,
                input.target_amount,
                input.currency,
                input.target_date,
                input.priority,
                input.tracking,
                tuple(
                    ids.account_id(a, f"accountIds[{i}]")
                    for i, a in enumerate(input.account_ids or ())
                ),
            )
            created = await goals.create_goal(info.context.planning, principal, draft)
            return types.GoalSuccess(goal=types.Goal.from_domain(created))

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def update_goal(self, info: Info, input: types.UpdateGoalInput) -> types.GoalResult:
        principal = await info.context.require_principal()

        async def run() -> types.GoalSuccess:
            changes = goals.GoalChanges(
                name=input.name,
                target_amount=input.target_amount,
                target_date=input.target_date,
                clear_target_date=input.clear_target_date,
                priority=input.priority,
                account_ids=None
                if input.account_ids is None
                else tuple(ids.account_id(a) for a in input.account_ids),
            )
            updated = await goals.update_goal(
                info.context.planning, principal, goal_id(input.goal_id), changes
            )
            return types.GoalSuccess(goal=types.Goal.from_domain(updated))

        return await attempt(run)

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_goal(self, info: Info, input: types.GoalIdInput) -> types.DeleteGoalResult:
        principal = await info.context.require_principal()

        async def run() -> types.DeleteGoalSuccess:
            gone = await goals.delete_goal(info.context.planning, principal, goal_id(input.goal_id))
            return types.DeleteGoalSuccess(deleted_goal_id=to_global_id("Goal", gone))

        return await attempt(run)

    @strawberry.mutation(
        description="A ledger transfer between two asset accounts, recorded for the goal.",
        permission_classes=WRITE,
    )
    async def contribute_to_goal(
        self, info: Info, input: types.ContributeToGoalInput
    ) -> types.ContributionResult:
        principal = await info.context.require_principal()

        async def run() -> types.ContributionSuccess:
            done = await goals.contribute_to_goal(
                info.context.planning,
                principal,
                goal_id(input.goal_id),
                amount=input.amount,
                from_account_id=ids.account_id(input.from_account_id, "fromAccountId"),
                to_account_id=ids.account_id(input.to_account_id, "toAccountId"),
                on=input.date,
                idempotency_key=input.idempotency_key,
                memo=input.memo,
            )
            return types.ContributionSuccess(
                goal=types.Goal.from_domain(done.goal),
                entry_id=to_global_id("JournalEntry", done.entry_id),
                amount=done.amount,
                replayed=done.replayed,
            )

        return await attempt(run)
