"""A debt's state, derived from its terms and its payments (never stored).

``replay`` walks the payment days and the payments in date order (on one date: the
payment day's interest charge first, then the payments in the order they were recorded):
MONTHLY accrual charges each payment day's interest; DAILY accrual charges the interest of
the days since the previous charge when a payment arrives. A payment's regular amount pays
the unpaid interest first, then principal; its extra goes to principal. A payment whose
principal would exceed the balance is refused (``Overpayment``): a debt is never negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from fiscus.domain.debts.amortization import (
    Schedule,
    Start,
    amortize,
    annuity_payment,
    opening,
    period_interest,
)
from fiscus.domain.debts.arithmetic import (
    Amount,
    Rounding,
    due_date,
    month_index,
    to_decimal,
    to_minor,
)
from fiscus.domain.debts.model import Accrual, Debt, DebtPayment, PaymentRuleKind, RatePolicy
from fiscus.domain.errors import FieldIssue, RuleViolation, ValidationFailed


class Overpayment(RuleViolation):
    def __init__(self, payoff: Decimal, currency: str, field: str = "amount") -> None:
        super().__init__(
            "OVERPAYMENT",
            f"This pays more than is owed ({payoff} {currency} pays the debt off); "
            "a debt never goes negative.",
            field,
        )
        self.payoff = payoff


@dataclass(frozen=True, slots=True)
class Split:
    interest: Decimal
    principal: Decimal
    extra: Decimal

    @property
    def total(self) -> Decimal:
        return self.interest + self.principal + self.extra


@dataclass(frozen=True, slots=True)
class DebtState:
    as_of: date
    balance: Decimal
    unpaid_interest: Decimal
    """Interest charged and not yet paid (a payment day passed without a payment)."""
    interest_paid: Decimal
    principal_paid: Decimal
    total_paid: Decimal
    start: Start
    """Where the projection from ``as_of`` begins (minor units)."""

    @property
    def paid_off(self) -> bool:
        return self.balance <= 0 and self.unpaid_interest <= 0


class _Replay:
    def __init__(self, debt: Debt, rounding: Rounding) -> None:
        self.debt = debt
        self.rounding = rounding
        self.rates = debt.rates()
        first = opening(debt, rounding)
        self.balance: Amount = first.balance
        self.unpaid: Amount = 0
        self.since = debt.start_date
        self.next_due = first.next_due
        self.period = 1
        self.payment = first.payment
        self.payment_rate = first.payment_rate
        self.interest_paid: Amount = 0
        self.principal_paid: Amount = 0

    def charge_through(self, day: date) -> None:
        """Every payment day up to and including ``day``."""
        reamortize = (
            self.debt.rule.kind is PaymentRuleKind.ANNUITY
            and self.debt.rate_policy is RatePolicy.REAMORTIZE
        )
        while self.next_due <= day:
            due = self.next_due
            rate = self.rates.at(due)
            if reamortize and rate != self.payment_rate:
                assert self.debt.rule.term_months is not None
                left = self.debt.rule.term_months - self.period + 1
                self.payment = annuity_payment(self.balance, rate / 12, left, self.rounding)
                self.payment_rate = rate
            if self.debt.accrual is Accrual.MONTHLY:
                self.unpaid += period_interest(
                    self.debt, self.rates, self.balance, due=due, since=due, rounding=self.rounding
                )
            self.period += 1
            self.next_due = due_date(month_index(due) + 1, self.debt.payment_day)

    def accrue_daily(self, day: date) -> None:
        if self.debt.accrual is Accrual.DAILY and day > self.since:
            self.unpaid += period_interest(
                self.debt,
                self.rates,
                self.balance,
                due=day,
                since=self.since,
                rounding=self.rounding,
            )
            self.since = day

    def split(self, day: date, amount: Amount, extra: Amount, field: str) -> tuple[Amount, ...]:
        self.charge_through(day)
        self.accrue_daily(day)
        interest = min(amount, self.unpaid)
        principal = amount - interest
        if principal + extra > self.balance:
            payoff = to_decimal(self.balance + self.unpaid, self.debt.currency)
            raise Overpayment(payoff, self.debt.currency, field)
        return interest, principal, extra

    def apply(self, interest: Amount, principal: Amount, extra: Amount) -> None:
        self.unpaid -= interest
        self.balance -= principal + extra
        self.interest_paid += interest
        self.principal_paid += principal + extra


def _replayed(debt: Debt, payments: Sequence[DebtPayment], rounding: Rounding) -> _Replay:
    replay = _Replay(debt, rounding)
    currency = debt.currency
    for payment in payments:
        replay.charge_through(payment.paid_on)
        replay.accrue_daily(payment.paid_on)
        replay.apply(
            to_minor(payment.interest, currency),
            to_minor(payment.principal, currency),
            to_minor(payment.extra, currency),
        )
    return replay


def ordered(payments: Sequence[DebtPayment]) -> list[DebtPayment]:
    return sorted(
        payments,
        key=lambda p: (p.paid_on, p.created_at.timestamp() if p.created_at else 0.0, p.id),
    )


def replay(
    debt: Debt,
    payments: Sequence[DebtPayment],
    as_of: date,
    rounding: Rounding = Rounding.MINOR_UNIT,
) -> DebtState:
    """The state at the end of ``as_of`` from the payments recorded (those dated later are
    ignored). Interest charged and accrued is counted through ``as_of``."""
    replay_ = _replayed(debt, [p for p in ordered(payments) if p.paid_on <= as_of], rounding)
    replay_.charge_through(as_of)
    currency = debt.currency
    start = Start(
        replay_.balance,
        replay_.unpaid,
        replay_.since,
        replay_.next_due,
        replay_.period,
        replay_.payment,
        replay_.payment_rate,
    )
    paid = replay_.interest_paid + replay_.principal_paid
    return DebtState(
        as_of,
        to_decimal(replay_.balance, currency),
        to_decimal(replay_.unpaid, currency),
        to_decimal(replay_.interest_paid, currency),
        to_decimal(replay_.principal_paid, currency),
        to_decimal(paid, currency),
        start,
    )


def split_payment(
    debt: Debt,
    payments: Sequence[DebtPayment],
    *,
    paid_on: date,
    amount: Decimal,
    extra: Decimal = Decimal(0),
) -> Split:
    """How a new payment splits as of ``paid_on``: interest charged so far and unpaid first,
    then principal; ``extra`` all principal. Refuses a payment dated before the start or
    before the latest recorded payment (it would change the splits already posted)."""
    history = ordered(payments)
    if paid_on < debt.start_date:
        raise ValidationFailed(
            [FieldIssue("date", "INVALID", "A payment cannot precede the debt's start date.")]
        )
    if history and paid_on < history[-1].paid_on:
        raise ValidationFailed(
            [
                FieldIssue(
                    "date",
                    "INVALID",
                    "Payments are recorded in date order: the latest is "
                    f"{history[-1].paid_on.isoformat()}.",
                )
            ]
        )
    replay_ = _replayed(debt, history, Rounding.MINOR_UNIT)
    currency = debt.currency
    interest, principal, extra_units = replay_.split(
        paid_on, to_minor(amount, currency), to_minor(extra, currency), "amount"
    )
    return Split(
        to_decimal(interest, currency),
        to_decimal(principal, currency),
        to_decimal(extra_units, currency),
    )


def projection(
    debt: Debt,
    state: DebtState,
    *,
    extra_per_month: Decimal = Decimal(0),
    rounding: Rounding = Rounding.MINOR_UNIT,
) -> Schedule:
    """What lies ahead from ``state``: the periods after ``state.as_of``."""
    if state.paid_off:
        return Schedule((), None, True)
    return amortize(debt, state.start, extra_per_month=extra_per_month, rounding=rounding)


def full_schedule(
    debt: Debt,
    *,
    extras: dict[date, Decimal] | None = None,
    extra_per_month: Decimal = Decimal(0),
    rounding: Rounding = Rounding.MINOR_UNIT,
) -> Schedule:
    """The schedule from the start, as the terms state it (payments recorded aside)."""
    return amortize(
        debt,
        opening(debt, rounding),
        extras=extras,
        extra_per_month=extra_per_month,
        rounding=rounding,
    )


def next_payment_date(debt: Debt, state: DebtState) -> date | None:
    if state.paid_off:
        return None
    return state.start.next_due


def payment_due_between(debt: Debt, state: DebtState, days: int) -> date | None:
    """The next payment day if it falls within ``days`` after ``state.as_of``."""
    upcoming = next_payment_date(debt, state)
    if upcoming is None or upcoming > state.as_of + timedelta(days=days):
        return None
    return upcoming
