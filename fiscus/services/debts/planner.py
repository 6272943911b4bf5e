"""``payoffPlan``: the organization's debts as they stand today (balance plus interest
charged and unpaid, the payment rule in force, future rate changes) fed to the planner,
off the event loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.debts import (
    Debt,
    LumpSum,
    Minimum,
    PaymentRuleKind,
    PayoffPlan,
    PlanDebt,
    PlanInput,
    Strategy,
    plan_payoff,
    replay,
)
from fiscus.domain.debts.arithmetic import from_month_index, month_index, to_decimal
from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.services.planning import PlanningContext


@dataclass(frozen=True, slots=True)
class PayoffRequest:
    monthly_budget: Decimal
    strategies: tuple[Strategy, ...] = (Strategy.AVALANCHE, Strategy.SNOWBALL)
    debt_ids: tuple[UUID, ...] = ()
    """Empty: every active debt."""
    custom_order: tuple[UUID, ...] = ()
    extra_per_month: Decimal = Decimal(0)
    lump_sums: tuple[LumpSum, ...] = ()
    start: date | None = None
    """The first month planned; default: next month."""


async def payoff_plan(
    ctx: PlanningContext, principal: Principal, request: PayoffRequest
) -> PayoffPlan:
    today = ctx.clock().date()
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        if request.debt_ids:
            debts = await reads.debts.by_ids(request.debt_ids)
            found = {d.id for d in debts}
            missing = [i for i, d in enumerate(request.debt_ids) if d not in found]
            if missing:
                raise ValidationFailed(
                    [FieldIssue(f"debtIds[{i}]", "NOT_FOUND", "No such debt.") for i in missing]
                )
        else:
            debts = await reads.debts.active()
        payments = await reads.debts.payments([d.id for d in debts])
    start = request.start or from_month_index(month_index(today) + 1)
    plan_debts: list[PlanDebt] = []
    for debt in debts:
        state = replay(debt, payments[debt.id], today)
        if state.paid_off:
            continue
        rule = debt.rule
        if rule.kind is PaymentRuleKind.ANNUITY:
            assert state.start.payment is not None
            minimum = Minimum(amount=to_decimal(state.start.payment, debt.currency))
        elif rule.kind is PaymentRuleKind.FIXED:
            minimum = Minimum(amount=rule.amount)
        else:
            minimum = Minimum(percent=rule.percent, floor=rule.floor)
        plan_debts.append(
            PlanDebt(
                debt.id,
                debt.name,
                state.balance + state.unpaid_interest,
                _percent_on(debt, start),
                minimum,
                debt.accrual,
                tuple(c for c in debt.rate_changes if c.effective_from > start),
            )
        )
    currencies = sorted({d.currency for d in debts})
    if len(currencies) > 1:
        raise ValidationFailed(
            [
                FieldIssue(
                    "debtIds",
                    "CURRENCY_MISMATCH",
                    "A plan covers debts of one currency; these are in " + ", ".join(currencies),
                )
            ]
        )
    plan = PlanInput(
        currencies[0] if currencies else "USD",
        tuple(plan_debts),
        request.monthly_budget,
        start,
        request.strategies,
        tuple(i for i in request.custom_order if i in {d.id for d in plan_debts}),
        request.extra_per_month,
        request.lump_sums,
    )
    return await asyncio.to_thread(plan_payoff, plan)


def _percent_on(debt: Debt, day: date) -> Decimal:
    """The annual rate in force on ``day``, as the percent stated (exact: a stated percent
    has at most six decimals)."""
    rate = debt.rate_on(day) * 100
    return Decimal(rate.numerator) / Decimal(rate.denominator)
