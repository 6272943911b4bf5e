"""Amortization schedules: period by period, exact, with one stated rounding rule.

- Interest of a period is charged on the balance before that period's payment and rounded
  half to even to the minor unit: MONTHLY accrual charges ``balance x rate / 12`` on each
  payment day (the rate in force that day); DAILY accrual charges
  ``balance x sum(rate of each day) / 365`` for the days since the previous charge.
- The standard payment (EMI) of an annuity is ``P r / (1 - (1 + r)^-n)`` with ``r`` the
  monthly rate (``P / n`` at 0 %), rounded **up** to the minor unit; every payment is at
  most what is owed, so the final payment is the smaller one and absorbs the residue.
- A FIXED rule pays its amount; a PERCENT rule pays ``max(floor, percent x (balance +
  interest))`` (rounded half-even), both capped at what is owed.
- Extra payments go to principal after the period's payment.
- Rate changes: KEEP_PAYMENT keeps the annuity payment (the term moves); REAMORTIZE
  recomputes it from the balance, the new rate and the periods left of the original term.
- A payment that does not exceed its period's interest (and no extra) never pays the debt
  off: the schedule stops there, marked incomplete.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from fiscus.domain.debts.arithmetic import (
    Amount,
    RateTimeline,
    Rounding,
    divider,
    due_date,
    first_due,
    month_index,
    to_decimal,
    to_minor,
)
from fiscus.domain.debts.model import Accrual, Debt, PaymentRuleKind, RatePolicy

MAX_PERIODS = 1200


def annuity_payment(
    principal: Amount, monthly_rate: Fraction, periods: int, rounding: Rounding
) -> Amount:
    """The level payment that repays ``principal`` in ``periods`` months at ``monthly_rate``
    (rounded up to the minor unit unless exact)."""
    periods = max(periods, 1)
    if monthly_rate == 0:
        exact = Fraction(principal) / periods
    else:
        growth = (1 + monthly_rate) ** periods
        exact = Fraction(principal) * monthly_rate * growth / (growth - 1)
    if rounding is Rounding.EXACT:
        return exact
    return math.ceil(exact)


def period_interest(
    debt: Debt,
    rates: RateTimeline,
    balance: Amount,
    *,
    due: date,
    since: date,
    rounding: Rounding,
) -> Amount:
    """The interest charged at ``due`` (MONTHLY), or accrued over ``[since, due)`` (DAILY)."""
    divide = divider(rounding)
    if debt.accrual is Accrual.MONTHLY:
        rate = rates.at(due)
        return divide(balance * rate.numerator, rate.denominator * 12)
    weighted = rates.day_weighted(since, due)
    return divide(balance * weighted.numerator, weighted.denominator * 365)


def rule_payment(debt: Debt, owed: Amount, scheduled: Amount | None, rounding: Rounding) -> Amount:
    """What the payment rule asks for this period, capped at what is owed."""
    rule = debt.rule
    if rule.kind is PaymentRuleKind.ANNUITY:
        assert scheduled is not None
        wanted: Amount = scheduled
    elif rule.kind is PaymentRuleKind.FIXED:
        assert rule.amount is not None
        wanted = to_minor(rule.amount, debt.currency)
    else:
        assert rule.percent is not None and rule.floor is not None
        share = Fraction(rule.percent) / 100
        percent_part = divider(rounding)(owed * share.numerator, share.denominator)
        wanted = max(to_minor(rule.floor, debt.currency), percent_part)
    return min(wanted, owed)


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    period: int
    date: date
    payment: Decimal
    """Interest + principal (the regular payment)."""
    interest: Decimal
    principal: Decimal
    extra: Decimal
    balance: Decimal
    annual_rate_percent: Decimal


@dataclass(frozen=True, slots=True)
class Schedule:
    rows: tuple[ScheduleRow, ...]
    standard_payment: Decimal | None
    """The annuity payment in force when the schedule starts (None for other rules)."""
    complete: bool
    """False when the payments never pay the debt off (or it runs past MAX_PERIODS)."""

    @property
    def total_interest(self) -> Decimal:
        return sum((r.interest for r in self.rows), Decimal(0))

    @property
    def total_paid(self) -> Decimal:
        return sum((r.payment + r.extra for r in self.rows), Decimal(0))

    @property
    def payoff_date(self) -> date | None:
        return self.rows[-1].date if self.complete and self.rows else None


@dataclass(frozen=True, slots=True)
class Start:
    """Where a schedule starts: the state before the period due at ``next_due``."""

    balance: Amount
    unpaid_interest: Amount
    accrued_from: date
    next_due: date
    period: int
    payment: Amount | None
    payment_rate: Fraction | None


def opening(debt: Debt, rounding: Rounding = Rounding.MINOR_UNIT) -> Start:
    """The loan as it started: opening balance, first period, the original EMI."""
    due = first_due(debt.start_date, debt.payment_day)
    balance = to_minor(debt.opening_balance, debt.currency)
    payment: Amount | None = None
    rate: Fraction | None = None
    if debt.rule.kind is PaymentRuleKind.ANNUITY:
        assert debt.rule.term_months is not None
        rate = debt.rates().at(due)
        payment = annuity_payment(balance, rate / 12, debt.rule.term_months, rounding)
    return Start(balance, 0, debt.start_date, due, 1, payment, rate)


def amortize(
    debt: Debt,
    start: Start,
    *,
    extras: Mapping[date, Decimal] | None = None,
    extra_per_month: Decimal = Decimal(0),
    rounding: Rounding = Rounding.MINOR_UNIT,
    max_periods: int = MAX_PERIODS,
) -> Schedule:
    rates = debt.rates()
    currency = debt.currency
    term = debt.rule.term_months or 0
    reamortize = (
        debt.rule.kind is PaymentRuleKind.ANNUITY and debt.rate_policy is RatePolicy.REAMORTIZE
    )
    planned = {d: to_minor(a, currency) for d, a in (extras or {}).items()}
    monthly_extra = to_minor(extra_per_month, currency)
    balance, unpaid, since = start.balance, start.unpaid_interest, start.accrued_from
    payment, payment_rate = start.payment, start.payment_rate
    index = month_index(start.next_due)
    rows: list[ScheduleRow] = []
    complete = balance <= 0 and unpaid <= 0
    for offset in range(max_periods):
        if balance <= 0 and unpaid <= 0:
            complete = True
            break
        period = start.period + offset
        due = start.next_due if offset == 0 else due_date(index + offset, debt.payment_day)
        rate = rates.at(due)
        if reamortize and rate != payment_rate:
            payment = annuity_payment(balance, rate / 12, term - period + 1, rounding)
            payment_rate = rate
        fresh = period_interest(debt, rates, balance, due=due, since=since, rounding=rounding)
        since = due
        interest = unpaid + fresh
        owed = balance + interest
        pay = rule_payment(debt, owed, payment, rounding)
        interest_paid = min(pay, interest)
        principal = pay - interest_paid
        extra = min(planned.get(due, 0) + monthly_extra, owed - pay)
        if pay < owed and pay <= fresh and extra <= 0:
            break  # the payment never gets ahead of the interest
        unpaid = interest - interest_paid
        balance = balance - principal - extra
        rows.append(
            ScheduleRow(
                period,
                due,
                to_decimal(pay, currency),
                to_decimal(interest_paid, currency),
                to_decimal(principal, currency),
                to_decimal(extra, currency),
                to_decimal(balance, currency),
                _percent(rate),
            )
        )
    else:
        complete = balance <= 0 and unpaid <= 0
    standard = None if start.payment is None else to_decimal(start.payment, currency)
    return Schedule(tuple(rows), standard, complete)


def _percent(rate: Fraction) -> Decimal:
    scaled = rate * 100
    return (Decimal(scaled.numerator) / Decimal(scaled.denominator)).normalize()
