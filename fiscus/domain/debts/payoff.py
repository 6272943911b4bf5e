"""The payoff planner: one monthly budget for all debts, month by month.

Each month, for every open debt: interest is charged (MONTHLY: balance x rate / 12;
DAILY: balance x rate x days of the month / 365; the rate in force on the month's first
day), then its minimum is paid (FIXED: the amount; PERCENT: max(floor, percent x (balance +
interest)); never more than is owed). What is left of the budget goes to the debts in the
strategy's order, each up to what it owes, then to the next:

- AVALANCHE: highest rate first (then smaller balance, then input order);
- SNOWBALL: smallest balance first, re-ordered every month as balances change (then higher
  rate, then input order);
- CUSTOM: the order given.

A paid-off debt's minimum stays in the budget, so it rolls over to the next target. A
month whose minimums exceed the budget is a typed error naming the shortfall; a budget that
never pays everything off (within ``MAX_MONTHS``) is one too. Amounts are minor units
(exact integers, interest rounded half to even) or exact fractions (``Rounding.EXACT``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from uuid import UUID

from fiscus.domain.debts.arithmetic import (
    Amount,
    Rounding,
    days_in_month,
    divider,
    from_month_index,
    month_index,
    percent_rate,
    to_decimal,
    to_minor,
)
from fiscus.domain.debts.model import Accrual, RateChange
from fiscus.domain.errors import FieldIssue, RuleViolation, ValidationFailed

MAX_MONTHS = 1200
MAX_DEBTS = 50
MAX_LUMP_SUMS = 24


class Strategy(enum.StrEnum):
    AVALANCHE = "avalanche"
    SNOWBALL = "snowball"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Minimum:
    """FIXED (``amount``) or PERCENT of balance + interest with a ``floor``."""

    amount: Decimal | None = None
    percent: Decimal | None = None
    floor: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PlanDebt:
    id: UUID
    name: str
    balance: Decimal
    annual_rate_percent: Decimal
    minimum: Minimum
    accrual: Accrual = Accrual.MONTHLY
    rate_changes: tuple[RateChange, ...] = ()


@dataclass(frozen=True, slots=True)
class LumpSum:
    on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PlanInput:
    currency: str
    debts: tuple[PlanDebt, ...]
    monthly_budget: Decimal
    start: date
    """The first month planned (any day of it)."""
    strategies: tuple[Strategy, ...] = (Strategy.AVALANCHE, Strategy.SNOWBALL)
    custom_order: tuple[UUID, ...] = ()
    extra_per_month: Decimal = Decimal(0)
    """What-if: this much more every month (a second scenario, side by side)."""
    lump_sums: tuple[LumpSum, ...] = ()
    """What-if: one-off payments, added to the budget of their month."""


class BudgetBelowMinimums(RuleViolation):
    def __init__(self, shortfall: Decimal, minimums: Decimal, month: date, currency: str) -> None:
        super().__init__(
            "BUDGET_BELOW_MINIMUMS",
            f"The budget is {shortfall} {currency} short of the minimum payments "
            f"({minimums} {currency}) in {month.strftime('%Y-%m')}.",
            "monthlyBudget",
        )
        self.shortfall = shortfall
        self.minimums = minimums
        self.month = month


class NeverPaidOff(RuleViolation):
    def __init__(self) -> None:
        super().__init__(
            "NEVER_PAID_OFF",
            f"This budget does not pay the debts off within {MAX_MONTHS // 12} years.",
            "monthlyBudget",
        )


@dataclass(frozen=True, slots=True)
class PlanMonth:
    month: date
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True)
class DebtTrack:
    debt_id: UUID
    name: str
    currency: str
    first_month: int
    rows: tuple[tuple[Amount, Amount, Amount], ...]
    """(payment, interest, balance after) per month from ``first_month``, minor units."""

    @property
    def paid_off(self) -> date | None:
        if not self.rows or self.rows[-1][2] > 0:
            return None
        return from_month_index(self.first_month + len(self.rows) - 1)

    @property
    def interest(self) -> Decimal:
        return to_decimal(sum(r[1] for r in self.rows), self.currency)

    @property
    def paid(self) -> Decimal:
        return to_decimal(sum(r[0] for r in self.rows), self.currency)

    def months(self) -> list[PlanMonth]:
        c = self.currency
        return [
            PlanMonth(
                from_month_index(self.first_month + k),
                to_decimal(pay, c),
                to_decimal(interest, c),
                to_decimal(pay - interest, c),
                to_decimal(balance, c),
            )
            for k, (pay, interest, balance) in enumerate(self.rows)
        ]


@dataclass(frozen=True, slots=True)
class StrategyOutcome:
    strategy: Strategy
    months: int
    debt_free: date | None
    total_interest: Amount
    total_paid: Amount
    tracks: tuple[DebtTrack, ...]
    currency: str

    @property
    def interest(self) -> Decimal:
        return to_decimal(self.total_interest, self.currency)

    @property
    def paid(self) -> Decimal:
        return to_decimal(self.total_paid, self.currency)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    monthly_budget: Decimal
    extra_per_month: Decimal
    lump_sums: tuple[LumpSum, ...]
    outcomes: tuple[StrategyOutcome, ...]


@dataclass(frozen=True, slots=True)
class PayoffPlan:
    currency: str
    scenarios: tuple[Scenario, ...]


def check_input(plan: PlanInput) -> None:
    issues: list[FieldIssue] = []
    if not plan.debts:
        issues.append(FieldIssue("debtIds", "REQUIRED", "A plan needs at least one debt."))
    if len(plan.debts) > MAX_DEBTS:
        issues.append(FieldIssue("debtIds", "INVALID", f"At most {MAX_DEBTS} debts."))
    for name, value in (
        ("monthlyBudget", plan.monthly_budget),
        ("extraPerMonth", plan.extra_per_month),
    ):
        if not value.is_finite() or value < 0:
            issues.append(FieldIssue(name, "INVALID", "A non-negative amount is required."))
        else:
            try:
                to_minor(value, plan.currency)
            except ValueError:
                issues.append(
                    FieldIssue(name, "INVALID", f"Too many decimal places for {plan.currency}.")
                )
    if len(plan.lump_sums) > MAX_LUMP_SUMS:
        issues.append(FieldIssue("lumpSums", "INVALID", f"At most {MAX_LUMP_SUMS}."))
    for i, lump in enumerate(plan.lump_sums):
        try:
            if lump.amount <= 0:
                raise ValueError
            to_minor(lump.amount, plan.currency)
        except ValueError:
            issues.append(FieldIssue(f"lumpSums[{i}].amount", "INVALID", "A positive amount."))
        if month_index(lump.on) < month_index(plan.start):
            issues.append(
                FieldIssue(f"lumpSums[{i}].date", "INVALID", "A lump sum falls in the plan.")
            )
    if not plan.strategies:
        issues.append(FieldIssue("strategies", "REQUIRED", "Ask for at least one strategy."))
    if Strategy.CUSTOM in plan.strategies:
        ids = [d.id for d in plan.debts]
        if sorted(plan.custom_order) != sorted(ids):
            issues.append(
                FieldIssue(
                    "customOrder",
                    "INVALID",
                    "A custom order names every debt of the plan exactly once.",
                )
            )
    if issues:
        raise ValidationFailed(issues)


class _Debts:
    """The plan's debts in minor units; per-month rates as integer fractions and a rank
    (0 = highest rate) so the monthly ordering compares plain integers."""

    def __init__(self, plan: PlanInput, rounding: Rounding) -> None:
        c = plan.currency
        self.balances = [to_minor(d.balance, c) for d in plan.debts]
        self.changes = [_rate_changes(d) for d in plan.debts]
        self.change_months = sorted({m for points in self.changes for m, _ in points[1:]})
        self.daily = [d.accrual is Accrual.DAILY for d in plan.debts]
        self.fixed: list[int | None] = []
        self.share_num: list[int] = []
        self.share_den: list[int] = []
        self.floor: list[int] = []
        for debt in plan.debts:
            minimum = debt.minimum
            if minimum.amount is not None:
                self.fixed.append(to_minor(minimum.amount, c))
                self.share_num.append(0)
                self.share_den.append(1)
                self.floor.append(0)
            else:
                assert minimum.percent is not None and minimum.floor is not None
                share = Fraction(minimum.percent) / 100
                self.fixed.append(None)
                self.share_num.append(share.numerator)
                self.share_den.append(share.denominator)
                self.floor.append(to_minor(minimum.floor, c))
        self.divide = divider(rounding)
        self.exact = rounding is Rounding.EXACT
        self.rate_num: list[int] = []
        self.rate_den: list[int] = []
        self.rank: list[int] = []
        self.set_rates(-1)

    def set_rates(self, month: int) -> None:
        """The rates in force in ``month`` (index), and their ranks."""
        rates = []
        for points in self.changes:
            found = points[0][1]
            for start, value in points:
                if start > month:
                    break
                found = value
            rates.append(found)
        self.rate_num = [r.numerator for r in rates]
        self.rate_den = [r.denominator for r in rates]
        distinct = sorted(set(rates), reverse=True)
        rank_of = {r: k for k, r in enumerate(distinct)}
        self.rank = [rank_of[r] for r in rates]


def _rate_changes(debt: PlanDebt) -> list[tuple[int, Fraction]]:
    points = [(-1, percent_rate(debt.annual_rate_percent))]
    for change in sorted(debt.rate_changes, key=lambda c: c.effective_from):
        start = month_index(change.effective_from)
        if change.effective_from.day != 1:
            start += 1  # in force from the first month that starts on or after it
        points.append((start, percent_rate(change.annual_rate_percent)))
    return points


def _simulate(
    plan: PlanInput,
    debts: _Debts,
    strategy: Strategy,
    budget: Amount,
    lumps: dict[int, Amount],
) -> StrategyOutcome:
    n = len(plan.debts)
    first = month_index(plan.start)
    debts.set_rates(first)
    balances: list[Amount] = list(debts.balances)
    rows: list[list[tuple[Amount, Amount, Amount]]] = [[] for _ in range(n)]
    divide = debts.divide
    daily, fixed, floor = debts.daily, debts.fixed, debts.floor
    share_num, share_den = debts.share_num, debts.share_den
    custom = {debt_id: k for k, debt_id in enumerate(plan.custom_order)}
    custom_rank = [custom.get(d.id, k) for k, d in enumerate(plan.debts)]
    owed: list[Amount] = [0] * n
    pays: list[Amount] = [0] * n
    charged: list[Amount] = [0] * n
    changes = set(debts.change_months)
    total_interest: Amount = 0
    total_paid: Amount = 0
    exact = debts.exact
    mul: list[int] = [0] * n
    den: list[int] = [1] * n
    for month in range(first, first + MAX_MONTHS):
        active = [i for i in range(n) if balances[i] > 0]
        if not active:
            break
        if month in changes:
            debts.set_rates(month)
        rate_num, rate_den, rank = debts.rate_num, debts.rate_den, debts.rank
        year, zero_month = divmod(month, 12)
        days = days_in_month(year, zero_month + 1)
        for i in active:  # interest = balance x mul / den, this month
            if daily[i]:
                mul[i], den[i] = rate_num[i] * days, rate_den[i] * 365
            else:
                mul[i], den[i] = rate_num[i], rate_den[i] * 12
        minimums: Amount = 0
        for i in active:
            # Inlined ``divide`` (the hot loop): half-even to the minor unit, or exact.
            if exact:
                interest: Amount = Fraction(balances[i] * mul[i], den[i])
            else:
                q, r = divmod(balances[i] * mul[i], den[i])
                r += r
                if r > den[i] or (r == den[i] and q & 1):
                    q += 1
                interest = q
            due = balances[i] + interest
            stated = fixed[i]
            if stated is None:
                part = divide(due * share_num[i], share_den[i])
                minimum: Amount = part if part > floor[i] else floor[i]
            else:
                minimum = stated
            if minimum > due:
                minimum = due
            owed[i], pays[i], charged[i] = due, minimum, interest
            minimums += minimum
        available = budget + lumps.get(month, 0)
        if minimums > available:
            c = plan.currency
            raise BudgetBelowMinimums(
                to_decimal(minimums - available, c),
                to_decimal(minimums, c),
                from_month_index(month),
                plan.currency,
            )
        left = available - minimums
        if left > 0:
            if strategy is Strategy.AVALANCHE:
                order = sorted(active, key=lambda i: (rank[i], balances[i], i))
            elif strategy is Strategy.SNOWBALL:
                order = sorted(active, key=lambda i: (balances[i], rank[i], i))
            else:
                order = sorted(active, key=custom_rank.__getitem__)
            for i in order:
                room = owed[i] - pays[i]
                if room <= 0:
                    continue
                take = room if room < left else left
                pays[i] += take
                left -= take
                if left <= 0:
                    break
        for i in active:
            balance = owed[i] - pays[i]
            balances[i] = balance
            rows[i].append((pays[i], charged[i], balance))
            total_interest += charged[i]
            total_paid += pays[i]
    else:
        if any(b > 0 for b in balances):
            raise NeverPaidOff()
    tracks = tuple(
        DebtTrack(d.id, d.name, plan.currency, first, tuple(rows[i]))
        for i, d in enumerate(plan.debts)
    )
    months = max((len(t.rows) for t in tracks), default=0)
    debt_free = from_month_index(first + months - 1) if months else None
    return StrategyOutcome(
        strategy, months, debt_free, total_interest, total_paid, tracks, plan.currency
    )


def plan_payoff(plan: PlanInput, rounding: Rounding = Rounding.MINOR_UNIT) -> PayoffPlan:
    """Every requested strategy, as planned and (when an extra or a lump sum is given) with
    the what-if, side by side."""
    check_input(plan)
    debts = _Debts(plan, rounding)
    c = plan.currency
    base = to_minor(plan.monthly_budget, c)
    scenarios = [
        Scenario(
            "as planned",
            plan.monthly_budget,
            Decimal(0),
            (),
            tuple(_simulate(plan, debts, s, base, {}) for s in plan.strategies),
        )
    ]
    if plan.extra_per_month > 0 or plan.lump_sums:
        lumps: dict[int, Amount] = {}
        for lump in plan.lump_sums:
            key = month_index(lump.on)
            lumps[key] = lumps.get(key, 0) + to_minor(lump.amount, c)
        budget = base + to_minor(plan.extra_per_month, c)
        scenarios.append(
            Scenario(
                "what if",
                plan.monthly_budget,
                plan.extra_per_month,
                plan.lump_sums,
                tuple(_simulate(plan, debts, s, budget, lumps) for s in plan.strategies),
            )
        )
    return PayoffPlan(c, tuple(scenarios))
