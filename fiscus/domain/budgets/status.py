"""Budget vs actual for one month, with the rollover chain from the budget's start month.

``available(m) = amount + carried_in(m)``; ``carried_in(start) = 0``;
``carried_in(m + 1)`` is ``max(remaining(m), 0)`` under CARRY_UNSPENT,
``min(remaining(m), 0)`` under CARRY_OVERSPEND, 0 under NONE, where
``remaining(m) = available(m) - spent(m)``.

For the current month, ``spent`` is the month to date (through today) and the projection
is the pace so far: ``spent / days elapsed x days in the month`` (half-even to the minor
unit); ``remaining per day = remaining / days left, today included``. Past months: spent
is the whole month and the projection is what was spent. Future months: what is already
posted there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from fiscus.domain.budgets.model import Budget, BudgetAlertKind, Rollover
from fiscus.domain.debts.arithmetic import days_in_month, from_month_index, month_index
from fiscus.domain.money import minor_units

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    budget_id: UUID
    month: date
    budgeted: Decimal
    carried_in: Decimal
    available: Decimal
    spent: Decimal
    remaining: Decimal
    percent_used: Decimal | None
    """Spent as a percent of available (None when nothing is available)."""
    days_left: int
    remaining_per_day: Decimal | None
    projected_spend: Decimal
    projected_overspend: bool
    threshold_crossed: bool
    ytd_budgeted: Decimal
    ytd_spent: Decimal
    current: bool
    """True for the month containing ``today``."""


def _round(value: Decimal, currency: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_EVEN)


def budget_status(
    budget: Budget,
    month: date,
    spent_by_month: Mapping[date, Decimal],
    today: date,
) -> BudgetStatus:
    """``spent_by_month``: natural spending per month (first days) from the budget's start
    through ``month``; the current month's entry is its spending through ``today``.
    Amounts are shown to the currency's minor unit (half-even; the ledger keeps 4 places)."""
    spent_by_month = {m: _round(v, budget.currency) for m, v in spent_by_month.items()}
    budget = replace(budget, amount=_round(budget.amount, budget.currency))
    month = month.replace(day=1)
    carry = _ZERO
    index = month_index(budget.start_month)
    target = month_index(month)
    while index < target:
        m = from_month_index(index)
        remaining = budget.amount + carry - spent_by_month.get(m, _ZERO)
        if budget.rollover is Rollover.CARRY_UNSPENT:
            carry = max(remaining, _ZERO)
        elif budget.rollover is Rollover.CARRY_OVERSPEND:
            carry = min(remaining, _ZERO)
        else:
            carry = _ZERO
        index += 1
    before_start = target < month_index(budget.start_month)
    budgeted = _ZERO if before_start else budget.amount
    carried = _ZERO if before_start else carry
    available = budgeted + carried
    spent = spent_by_month.get(month, _ZERO)
    remaining = available - spent
    length = days_in_month(month.year, month.month)
    current = month_index(today) == target
    past = month_index(today) > target
    if current:
        days_left = length - today.day + 1
        projected = _round(spent / today.day * length, budget.currency)
        per_day: Decimal | None = _round(max(remaining, _ZERO) / days_left, budget.currency)
    elif past:
        days_left, projected, per_day = 0, spent, None
    else:
        days_left = length
        projected = spent
        per_day = _round(max(remaining, _ZERO) / length, budget.currency)
    percent = None
    if available > 0:
        percent = (spent * 100 / available).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    crossed = spent > 0 and (
        available <= 0 or spent * 100 >= available * budget.alert_threshold_percent
    )
    first_of_year = max(month_index(date(month.year, 1, 1)), month_index(budget.start_month))
    ytd_months = [from_month_index(i) for i in range(first_of_year, target + 1)]
    return BudgetStatus(
        budget.id,
        month,
        budgeted,
        carried,
        available,
        spent,
        remaining,
        percent,
        days_left,
        per_day,
        projected,
        projected > available and not before_start,
        crossed and not before_start,
        budget.amount * len(ytd_months),
        sum((spent_by_month.get(m, _ZERO) for m in ytd_months), _ZERO),
        current,
    )


def alerts_due(status: BudgetStatus) -> list[BudgetAlertKind]:
    """What this status warns about; the projection only in the current month."""
    found = []
    if status.threshold_crossed:
        found.append(BudgetAlertKind.THRESHOLD)
    if status.current and status.projected_overspend:
        found.append(BudgetAlertKind.PROJECTED_OVERSPEND)
    return found
