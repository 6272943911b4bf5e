"""GraphQL types of budgets and goals. ``Budget`` and ``Goal`` are Relay nodes of the caller's
organization; their status and progress come from the ledger's summaries through the
request's loaders (one statement per distinct month for any number of budgets; one for
any number of goals)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from fiscus.domain import budgets as budget_domain
from fiscus.domain import goals as goal_domain
from fiscus.schema.errors import ConflictError, NotFoundError, RuleViolationError, ValidationError
from fiscus.schema.relay import Node, to_global_id

strawberry.enum(budget_domain.Rollover, name="BudgetRollover")
strawberry.enum(goal_domain.GoalKind, name="GoalKind")
strawberry.enum(goal_domain.GoalTracking, name="GoalTracking")


@strawberry.type
class BudgetStatus:
    month: date
    budgeted: Decimal
    carried_in: Decimal = strawberry.field(description="From earlier months (rollover).")
    available: Decimal
    spent: Decimal = strawberry.field(
        description="The month's spending (the current month: through today)."
    )
    remaining: Decimal
    percent_used: Decimal | None
    days_left: int
    remaining_per_day: Decimal | None
    projected_spend: Decimal = strawberry.field(
        description="Current month: spent / days elapsed x days in the month."
    )
    projected_overspend: bool
    threshold_crossed: bool
    year_to_date_budgeted: Decimal
    year_to_date_spent: Decimal

    @classmethod
    def from_domain(cls, s: budget_domain.BudgetStatus) -> BudgetStatus:
        return cls(
            month=s.month,
            budgeted=s.budgeted,
            carried_in=s.carried_in,
            available=s.available,
            spent=s.spent,
            remaining=s.remaining,
            percent_used=s.percent_used,
            days_left=s.days_left,
            remaining_per_day=s.remaining_per_day,
            projected_spend=s.projected_spend,
            projected_overspend=s.projected_overspend,
            threshold_crossed=s.threshold_crossed,
            year_to_date_budgeted=s.ytd_budgeted,
            year_to_date_spent=s.ytd_spent,
        )


@strawberry.type
class Budget(Node):
    id: strawberry.ID
    name: str
    account_id: strawberry.ID
    include_subtree: bool
    amount: Decimal
    currency: str
    rollover: budget_domain.Rollover
    alert_threshold_percent: Decimal
    start_month: date
    source: strawberry.Private[budget_domain.Budget]

    @classmethod
    def from_domain(cls, b: budget_domain.Budget) -> Budget:
        return cls(
            id=to_global_id("Budget", b.id),
            name=b.name,
            account_id=to_global_id("Account", b.account_id),
            include_subtree=b.include_subtree,
            amount=b.amount,
            currency=b.currency,
            rollover=b.rollover,
            alert_threshold_percent=b.alert_threshold_percent,
            start_month=b.start_month,
            source=b,
        )

    @strawberry.field(description="Budget vs actual for a month (default: this month).")
    async def status(self, info: Info, month: date | None = None) -> BudgetStatus:
        wanted = (month or info.context.planning.clock().date()).replace(day=1)
        found = await info.context.loaders.budget_statuses.load((self.source, wanted))
        return BudgetStatus.from_domain(found)


@strawberry.type
class GoalProgress:
    saved: Decimal
    target: Decimal
    remaining: Decimal
    percent: Decimal
    required_monthly_saving: Decimal | None = strawberry.field(
        description="To reach the target by its date (null without a date)."
    )
    monthly_saving_rate: Decimal = strawberry.field(description="Over the last three months.")
    projected_completion_date: date | None
    on_track: bool | None
    milestones_reached: list[int]

    @classmethod
    def from_domain(cls, p: goal_domain.GoalProgress) -> GoalProgress:
        return cls(
            saved=p.saved,
            target=p.target,
            remaining=p.remaining,
            percent=p.percent,
            required_monthly_saving=p.required_monthly,
            monthly_saving_rate=p.monthly_rate,
            projected_completion_date=p.projected_completion,
            on_track=p.on_track,
            milestones_reached=list(p.milestones),
        )


@strawberry.type
class Goal(Node):
    id: strawberry.ID
    name: str
    kind: goal_domain.GoalKind
    target_amount: Decimal
    currency: str
    target_date: date | None
    priority: int
    tracking: goal_domain.GoalTracking
    account_ids: list[strawberry.ID]
    source: strawberry.Private[goal_domain.Goal]

    @classmethod
    def from_domain(cls, g: goal_domain.Goal) -> Goal:
        return cls(
            id=to_global_id("Goal", g.id),
            name=g.name,
            kind=g.kind,
            target_amount=g.target_amount,
            currency=g.currency,
            target_date=g.target_date,
            priority=g.priority,
            tracking=g.tracking,
            account_ids=[to_global_id("Account", a) for a in g.account_ids],
            source=g,
        )

    @strawberry.field
    async def progress(self, info: Info) -> GoalProgress:
        found = await info.context.loaders.goal_progress.load(self.source)
        return GoalProgress.from_domain(found)


# -- inputs ---------------------------------------------------------------------------------


@strawberry.input
class CreateBudgetInput:
    name: str
    account_id: strawberry.ID = strawberry.field(description="An EXPENSE account (category).")
    include_subtree: bool = True
    amount: Decimal = strawberry.field(description="Per month, in the account's currency.")
    rollover: budget_domain.Rollover = budget_domain.Rollover.NONE
    alert_threshold_percent: Decimal = Decimal(80)
    start_month: date


@strawberry.input
class UpdateBudgetInput:
    budget_id: strawberry.ID
    name: str | None = None
    amount: Decimal | None = None
    rollover: budget_domain.Rollover | None = None
    alert_threshold_percent: Decimal | None = None


@strawberry.input
class BudgetIdInput:
    budget_id: strawberry.ID


@strawberry.input
class CreateGoalInput:
    name: str
    kind: goal_domain.GoalKind
    target_amount: Decimal
    currency: str
    target_date: date | None = None
    priority: int = 0
    tracking: goal_domain.GoalTracking = goal_domain.GoalTracking.ACCOUNTS
    account_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Whose balances count (assets; a DEBT_FREE goal: the liabilities).",
    )


@strawberry.input
class UpdateGoalInput:
    goal_id: strawberry.ID
    name: str | None = None
    target_amount: Decimal | None = None
    target_date: date | None = None
    clear_target_date: bool = False
    priority: int | None = None
    account_ids: list[strawberry.ID] | None = None


@strawberry.input
class GoalIdInput:
    goal_id: strawberry.ID


@strawberry.input
class ContributeToGoalInput:
    goal_id: strawberry.ID
    amount: Decimal
    from_account_id: strawberry.ID
    to_account_id: strawberry.ID
    date: date
    memo: str | None = None
    idempotency_key: str


# -- results --------------------------------------------------------------------------------


@strawberry.type
class BudgetSuccess:
    budget: Budget


@strawberry.type
class DeleteBudgetSuccess:
    deleted_budget_id: strawberry.ID


@strawberry.type
class GoalSuccess:
    goal: Goal


@strawberry.type
class DeleteGoalSuccess:
    deleted_goal_id: strawberry.ID


@strawberry.type
class ContributionSuccess:
    goal: Goal
    entry_id: strawberry.ID
    amount: Decimal
    replayed: bool


def _union(name: str, success: Any) -> Any:
    return Annotated[
        success | ValidationError | NotFoundError | RuleViolationError | ConflictError,
        strawberry.union(name),
    ]


BudgetResult = _union("BudgetResult", BudgetSuccess)
DeleteBudgetResult = _union("DeleteBudgetResult", DeleteBudgetSuccess)
GoalResult = _union("GoalResult", GoalSuccess)
DeleteGoalResult = _union("DeleteGoalResult", DeleteGoalSuccess)
ContributionResult = _union("ContributionResult", ContributionSuccess)
