"""GraphQL types of debts and the payoff planner. ``Debt`` is a Relay node of the caller's
organization; balance, interest paid, next payment and payoff date are derived on read
(from the debt's payments through the request's loaders), never stored. Amounts are exact
Decimals (strings); rates are annual percents."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from fiscus.domain import debts as domain
from fiscus.domain.debts import payoff
from fiscus.domain.debts.arithmetic import from_month_index
from fiscus.domain.errors import ErrorCode
from fiscus.domain.identity import Permission
from fiscus.schema.errors import (
    ConflictError,
    NotFoundError,
    RuleViolationError,
    UserError,
    ValidationError,
)
from fiscus.schema.permissions import requires
from fiscus.schema.relay import Connection, Node, build_connection, check_first, to_global_id
from fiscus.services.debts.queries import projection_of, schedule_of

strawberry.enum(domain.DebtKind, name="DebtKind")
strawberry.enum(domain.DebtStatus, name="DebtStatus")
strawberry.enum(domain.Accrual, name="InterestAccrual")
strawberry.enum(domain.RatePolicy, name="RateChangePolicy")
strawberry.enum(domain.PaymentRuleKind, name="PaymentRuleKind")
strawberry.enum(domain.Strategy, name="PayoffStrategy")

READ = [requires(Permission.DEBTS_READ)]


@strawberry.type
class PaymentRule:
    kind: domain.PaymentRuleKind
    term_months: int | None
    amount: Decimal | None
    percent: Decimal | None = strawberry.field(
        description="PERCENT: of the balance plus the period's interest."
    )
    floor: Decimal | None


@strawberry.type
class RateChange:
    from_: date = strawberry.field(name="from")
    annual_rate_percent: Decimal


@strawberry.type
class AmortizationRow:
    period: int
    date: date
    payment: Decimal = strawberry.field(description="Interest + principal.")
    interest: Decimal
    principal: Decimal
    extra: Decimal
    balance: Decimal
    annual_rate_percent: Decimal

    @classmethod
    def from_domain(cls, row: domain.ScheduleRow) -> AmortizationRow:
        return cls(
            period=row.period,
            date=row.date,
            payment=row.payment,
            interest=row.interest,
            principal=row.principal,
            extra=row.extra,
            balance=row.balance,
            annual_rate_percent=row.annual_rate_percent,
        )


@strawberry.type
class AmortizationSchedule:
    rows: list[AmortizationRow]
    standard_payment: Decimal | None = strawberry.field(
        description="The annuity payment (EMI) in force when the schedule starts."
    )
    complete: bool = strawberry.field(
        description="False: the payments never pay the debt off (or not within 100 years)."
    )
    total_interest: Decimal
    total_paid: Decimal
    payoff_date: date | None

    @classmethod
    def from_domain(cls, schedule: domain.Schedule) -> AmortizationSchedule:
        return cls(
            rows=[AmortizationRow.from_domain(r) for r in schedule.rows],
            standard_payment=schedule.standard_payment,
            complete=schedule.complete,
            total_interest=schedule.total_interest,
            total_paid=schedule.total_paid,
            payoff_date=schedule.payoff_date,
        )


@strawberry.type
class DebtPayment:
    id: strawberry.ID
    date: date
    amount: Decimal
    interest: Decimal
    principal: Decimal
    extra: Decimal
    entry_id: strawberry.ID

    @classmethod
    def from_domain(cls, p: domain.DebtPayment) -> DebtPayment:
        return cls(
            id=to_global_id("DebtPayment", p.id),
            date=p.paid_on,
            amount=p.amount,
            interest=p.interest,
            principal=p.principal,
            extra=p.extra,
            entry_id=to_global_id("JournalEntry", p.entry_id),
        )


def _payment_cursor(p: DebtPayment) -> str:
    return base64.urlsafe_b64encode(str(p.id).encode()).decode()


@strawberry.type
class Debt(Node):
    id: strawberry.ID
    name: str
    kind: domain.DebtKind
    lender: str | None
    currency: str
    status: domain.DebtStatus
    opening_balance: Decimal
    annual_rate_percent: Decimal
    accrual: domain.Accrual
    rate_policy: domain.RatePolicy
    payment_rule: PaymentRule
    payment_day: int
    start_date: date
    rate_changes: list[RateChange]
    liability_account_id: strawberry.ID
    interest_account_id: strawberry.ID
    source: strawberry.Private[domain.Debt]

    @classmethod
    def from_domain(cls, debt: domain.Debt) -> Debt:
        rule = debt.rule
        return cls(
            id=to_global_id("Debt", debt.id),
            name=debt.name,
            kind=debt.kind,
            lender=debt.lender,
            currency=debt.currency,
            status=debt.status,
            opening_balance=debt.opening_balance,
            annual_rate_percent=debt.annual_rate_percent,
            accrual=debt.accrual,
            rate_policy=debt.rate_policy,
            payment_rule=PaymentRule(
                kind=rule.kind,
                term_months=rule.term_months,
                amount=rule.amount,
                percent=rule.percent,
                floor=rule.floor,
            ),
            payment_day=debt.payment_day,
            start_date=debt.start_date,
            rate_changes=[
                RateChange(from_=c.effective_from, annual_rate_percent=c.annual_rate_percent)
                for c in debt.rate_changes
            ],
            liability_account_id=to_global_id("Account", debt.liability_account_id),
            interest_account_id=to_global_id("Account", debt.interest_account_id),
            source=debt,
        )

    async def _payments(self, info: Info) -> list[domain.DebtPayment]:
        found: list[domain.DebtPayment] = await info.context.loaders.debt_payments.load(
            self.source.id
        )
        return found

    async def _state(self, info: Info) -> domain.DebtState:
        today = info.context.planning.clock().date()
        return domain.replay(self.source, await self._payments(info), today)

    @strawberry.field(description="Principal outstanding today (derived from the payments).")
    async def balance(self, info: Info) -> Decimal:
        return (await self._state(info)).balance

    @strawberry.field(description="Interest charged on past payment days and not yet paid.")
    async def unpaid_interest(self, info: Info) -> Decimal:
        return (await self._state(info)).unpaid_interest

    @strawberry.field
    async def interest_paid(self, info: Info) -> Decimal:
        return (await self._state(info)).interest_paid

    @strawberry.field
    async def principal_paid(self, info: Info) -> Decimal:
        return (await self._state(info)).principal_paid

    @strawberry.field
    async def total_paid(self, info: Info) -> Decimal:
        return (await self._state(info)).total_paid

    @strawberry.field
    async def next_payment_date(self, info: Info) -> date | None:
        return domain.next_payment_date(self.source, await self._state(info))

    @strawberry.field(description="The payment the rule asks for now (annuity: the EMI).")
    async def standard_payment(self, info: Info) -> Decimal | None:
        projection = await self._projection(info, Decimal(0))
        return projection.rows[0].payment if projection.rows else None

    @strawberry.field(description="When the projection from today ends (null: never).")
    async def payoff_date(self, info: Info) -> date | None:
        return (await self._projection(info, Decimal(0))).payoff_date

    async def _projection(self, info: Info, extra: Decimal) -> domain.Schedule:
        today = info.context.planning.clock().date()
        return await projection_of(self.source, await self._payments(info), today, extra)

    @strawberry.field(
        description="The schedule from the start as the terms state it (payments aside); "
        "`extraPerMonth` shows what paying more each period would do."
    )
    async def schedule(self, extra_per_month: Decimal = Decimal(0)) -> AmortizationSchedule:
        return AmortizationSchedule.from_domain(await schedule_of(self.source, extra_per_month))

    @strawberry.field(description="The periods ahead, from the balance the payments left.")
    async def projection(
        self, info: Info, extra_per_month: Decimal = Decimal(0)
    ) -> AmortizationSchedule:
        return AmortizationSchedule.from_domain(await self._projection(info, extra_per_month))

    @strawberry.field(description="Payments recorded, oldest first.")
    async def payments(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[DebtPayment]:
        size = check_first(first)
        items = [DebtPayment.from_domain(p) for p in await self._payments(info)]
        start = 0
        if after is not None:
            cursors = [_payment_cursor(p) for p in items]
            start = cursors.index(after) + 1 if after in cursors else len(items)
        page = items[start : start + size]
        return build_connection(
            page,
            has_next=start + size < len(items),
            had_cursor=after is not None,
            cursor_of=_payment_cursor,
            total_count=len(items),
        )


# -- payoff plan ----------------------------------------------------------------------------


@strawberry.type
class PayoffMonth:
    month: date
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal


def _first(first: int) -> int:
    return check_first(first)


@strawberry.type(
    description="One debt under one strategy. Month by month either as objects (`months`) "
    "or, cheaper for long plans, as parallel lists from `firstMonth` on."
)
class PayoffDebtTrack:
    debt_id: strawberry.ID
    name: str
    paid_off: date | None
    interest: Decimal
    paid: Decimal
    first_month: date
    source: strawberry.Private[payoff.DebtTrack]

    @strawberry.field(description="Month by month until paid off (the first `first`).")
    def months(self, first: int = 100) -> list[PayoffMonth]:
        return [
            PayoffMonth(
                month=m.month,
                payment=m.payment,
                interest=m.interest,
                principal=m.principal,
                balance=m.balance,
            )
            for m in self.source.months()[: _first(first)]
        ]

    @strawberry.field
    def monthly_payments(self) -> list[Decimal]:
        return [m.payment for m in self.source.months()]

    @strawberry.field
    def monthly_interest(self) -> list[Decimal]:
        return [m.interest for m in self.source.months()]

    @strawberry.field(description="Balance after each month's payment.")
    def monthly_balances(self) -> list[Decimal]:
        return [m.balance for m in self.source.months()]


@strawberry.type
class PayoffStrategyOutcome:
    strategy: domain.Strategy
    months: int
    debt_free_date: date | None
    total_interest: Decimal
    total_paid: Decimal
    tracks: strawberry.Private[list[PayoffDebtTrack]]

    @strawberry.field(description="In the order of the plan's debts.")
    def debts(self, first: int = 100) -> list[PayoffDebtTrack]:
        return self.tracks[: _first(first)]

    @classmethod
    def from_domain(cls, o: payoff.StrategyOutcome) -> PayoffStrategyOutcome:
        return cls(
            strategy=o.strategy,
            months=o.months,
            debt_free_date=o.debt_free,
            total_interest=o.interest,
            total_paid=o.paid,
            tracks=[
                PayoffDebtTrack(
                    debt_id=to_global_id("Debt", t.debt_id),
                    name=t.name,
                    paid_off=t.paid_off,
                    interest=t.interest,
                    paid=t.paid,
                    first_month=from_month_index(t.first_month),
                    source=t,
                )
                for t in o.tracks
            ],
        )


@strawberry.type
class LumpSum:
    date: date
    amount: Decimal


@strawberry.type
class PayoffScenario:
    name: str = strawberry.field(description="`as planned`, or `what if` (extra, lump sums).")
    monthly_budget: Decimal
    extra_per_month: Decimal
    lump_sums: list[LumpSum]
    outcomes: strawberry.Private[list[PayoffStrategyOutcome]]

    @strawberry.field
    def strategies(self, first: int = 100) -> list[PayoffStrategyOutcome]:
        return self.outcomes[: _first(first)]


@strawberry.type(
    description="List fields take `first`: the cost limit counts list sizes, so a long plan "
    "asks e.g. `scenarios(first: 2) { strategies(first: 3) { debts(first: 20) { ... } } }`."
)
class PayoffPlan:
    currency: str
    all_scenarios: strawberry.Private[list[PayoffScenario]]

    @strawberry.field
    def scenarios(self, first: int = 100) -> list[PayoffScenario]:
        return self.all_scenarios[: _first(first)]

    @classmethod
    def from_domain(cls, plan: domain.PayoffPlan) -> PayoffPlan:
        return cls(
            currency=plan.currency,
            all_scenarios=[
                PayoffScenario(
                    name=s.name,
                    monthly_budget=s.monthly_budget,
                    extra_per_month=s.extra_per_month,
                    lump_sums=[LumpSum(date=x.on, amount=x.amount) for x in s.lump_sums],
                    outcomes=[PayoffStrategyOutcome.from_domain(o) for o in s.outcomes],
                )
                for s in plan.scenarios
            ],
        )


@strawberry.type(description="The monthly budget does not cover the minimum payments.")
class PayoffBudgetShortfallError(UserError):
    shortfall: Decimal
    minimum_payments: Decimal
    month: date


def shortfall_error(error: domain.BudgetBelowMinimums) -> PayoffBudgetShortfallError:
    return PayoffBudgetShortfallError(
        code=ErrorCode.BUDGET_BELOW_MINIMUMS,
        field="input.monthlyBudget",
        message=error.message,
        shortfall=error.shortfall,
        minimum_payments=error.minimums,
        month=error.month,
    )


# -- inputs ---------------------------------------------------------------------------------


@strawberry.input
class PaymentRuleInput:
    kind: domain.PaymentRuleKind
    term_months: int | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    floor: Decimal | None = None


@strawberry.input
class RateChangeInput:
    from_: date = strawberry.field(name="from")
    annual_rate_percent: Decimal


@strawberry.input
class CreateDebtInput:
    name: str
    kind: domain.DebtKind
    lender: str | None = None
    currency: str
    opening_balance: Decimal = strawberry.field(
        description="The principal (new loan) or the current balance when tracking begins."
    )
    annual_rate_percent: Decimal
    accrual: domain.Accrual | None = strawberry.field(
        default=None, description="Default: DAILY for cards and lines of credit, else MONTHLY."
    )
    payment_rule: PaymentRuleInput
    payment_day: int
    start_date: date
    rate_policy: domain.RatePolicy = domain.RatePolicy.KEEP_PAYMENT
    rate_changes: list[RateChangeInput] | None = None
    liability_account_id: strawberry.ID
    interest_account_id: strawberry.ID = strawberry.field(
        description="The EXPENSE account the interest part of payments is posted to."
    )
    opening_offset_account_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Post the opening balance: credit the liability, debit this account.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Required with openingOffsetAccountId (money moves)."
    )


@strawberry.input
class DebtRateChangeInput:
    debt_id: strawberry.ID
    from_: date = strawberry.field(name="from")
    annual_rate_percent: Decimal


@strawberry.input
class DebtIdInput:
    debt_id: strawberry.ID


@strawberry.input
class RecordDebtPaymentInput:
    debt_id: strawberry.ID
    date: date
    amount: Decimal = strawberry.field(description="Pays unpaid interest first, then principal.")
    extra: Decimal = strawberry.field(default=Decimal(0), description="All principal.")
    from_account_id: strawberry.ID
    memo: str | None = None
    idempotency_key: str


@strawberry.input
class LumpSumInput:
    date: date
    amount: Decimal


@strawberry.input
class PayoffPlanInput:
    monthly_budget: Decimal
    debt_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Default: every active debt."
    )
    strategies: list[domain.Strategy] | None = strawberry.field(
        default=None, description="Default: AVALANCHE and SNOWBALL."
    )
    custom_order: list[strawberry.ID] | None = None
    extra_per_month: Decimal = Decimal(0)
    lump_sums: list[LumpSumInput] | None = None
    start_month: date | None = strawberry.field(default=None, description="Default: next month.")


# -- results --------------------------------------------------------------------------------


@strawberry.type
class DebtSuccess:
    debt: Debt


@strawberry.type
class DebtPaymentSuccess:
    payment: DebtPayment
    debt: Debt
    replayed: bool


def _union(name: str, success: Any) -> Any:
    return Annotated[
        success | ValidationError | NotFoundError | RuleViolationError | ConflictError,
        strawberry.union(name),
    ]


DebtResult = _union("DebtResult", DebtSuccess)
DebtPaymentResult = _union("DebtPaymentResult", DebtPaymentSuccess)
PayoffPlanResult = Annotated[
    PayoffPlan | PayoffBudgetShortfallError | ValidationError | RuleViolationError,
    strawberry.union("PayoffPlanResult"),
]
