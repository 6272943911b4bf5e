"""Debts: what was borrowed, on which terms, and the payments made.

A debt's balance, interest paid, total paid, next payment date and payoff date are always
derived (``state.replay`` over its payments, ``amortization`` for what lies ahead), never
stored.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from uuid import UUID

from fiscus.domain.debts.arithmetic import RateTimeline, has_minor_scale, percent_rate
from fiscus.domain.errors import FieldIssue, ValidationFailed

MAX_RATE_PERCENT = Decimal(100)
MAX_TERM_MONTHS = 600
MAX_NAME = 200


class DebtKind(enum.StrEnum):
    HOME_LOAN = "home_loan"
    AUTO_LOAN = "auto_loan"
    STUDENT_LOAN = "student_loan"
    PERSONAL_LOAN = "personal_loan"
    CREDIT_CARD = "credit_card"
    LINE_OF_CREDIT = "line_of_credit"
    OTHER = "other"

    @property
    def default_accrual(self) -> Accrual:
        revolving = self in (DebtKind.CREDIT_CARD, DebtKind.LINE_OF_CREDIT)
        return Accrual.DAILY if revolving else Accrual.MONTHLY


class DebtStatus(enum.StrEnum):
    ACTIVE = "active"
    PAID_OFF = "paid_off"
    CLOSED = "closed"


class Accrual(enum.StrEnum):
    """MONTHLY: each payment day charges balance x rate / 12. DAILY: interest accrues each
    day at rate / 365 on the balance of that day, and is charged when paid."""

    MONTHLY = "monthly"
    DAILY = "daily"


class RatePolicy(enum.StrEnum):
    """What a rate change does to an annuity loan: keep the payment (the term moves) or
    re-amortize over the remaining term (the payment moves)."""

    KEEP_PAYMENT = "keep_payment"
    REAMORTIZE = "reamortize"


class PaymentRuleKind(enum.StrEnum):
    ANNUITY = "annuity"
    """A term in months: the standard payment (EMI) by the annuity formula."""
    FIXED = "fixed"
    """A fixed amount each period."""
    PERCENT = "percent"
    """A percent of the balance plus the period's interest, at least a floor."""


@dataclass(frozen=True, slots=True)
class PaymentRule:
    kind: PaymentRuleKind
    term_months: int | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    floor: Decimal | None = None


@dataclass(frozen=True, slots=True)
class RateChange:
    effective_from: date
    annual_rate_percent: Decimal


@dataclass(frozen=True, slots=True)
class Debt:
    id: UUID
    org_id: UUID
    name: str
    kind: DebtKind
    lender: str | None
    currency: str
    opening_balance: Decimal
    """The principal (a new loan) or the current balance when tracking began."""
    annual_rate_percent: Decimal
    accrual: Accrual
    rule: PaymentRule
    payment_day: int
    start_date: date
    rate_policy: RatePolicy
    liability_account_id: UUID
    interest_account_id: UUID
    status: DebtStatus = DebtStatus.ACTIVE
    rate_changes: tuple[RateChange, ...] = ()
    created_at: datetime | None = None

    def rates(self) -> RateTimeline:
        return RateTimeline(
            percent_rate(self.annual_rate_percent),
            [(c.effective_from, percent_rate(c.annual_rate_percent)) for c in self.rate_changes],
        )

    def rate_on(self, day: date) -> Fraction:
        return self.rates().at(day)


@dataclass(frozen=True, slots=True)
class DebtPayment:
    id: UUID
    debt_id: UUID
    paid_on: date
    amount: Decimal
    """What left the payment account: interest + principal + extra."""
    interest: Decimal
    principal: Decimal
    extra: Decimal
    entry_id: UUID
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DebtTermsInput:
    """What a client states when creating a debt, before checks."""

    name: str
    kind: DebtKind
    currency: str
    opening_balance: Decimal
    annual_rate_percent: Decimal
    rule: PaymentRule
    payment_day: int
    start_date: date
    lender: str | None = None
    accrual: Accrual | None = None
    rate_policy: RatePolicy = RatePolicy.KEEP_PAYMENT
    rate_changes: tuple[RateChange, ...] = field(default_factory=tuple)


def check_rate(value: Decimal, field_name: str) -> list[FieldIssue]:
    if not value.is_finite() or value < 0 or value > MAX_RATE_PERCENT:
        return [FieldIssue(field_name, "INVALID", "An annual rate is a percent from 0 to 100.")]
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        return [FieldIssue(field_name, "INVALID", "At most 6 decimal places.")]
    return []


def _money_issues(value: Decimal | None, currency: str, field_name: str) -> list[FieldIssue]:
    if value is None:
        return [FieldIssue(field_name, "REQUIRED", "An amount is required.")]
    if not value.is_finite() or value <= 0:
        return [FieldIssue(field_name, "INVALID", "A positive amount is required.")]
    if not has_minor_scale(value, currency):
        return [FieldIssue(field_name, "INVALID", f"Too many decimal places for {currency}.")]
    if value >= Decimal(10) ** 15:
        return [FieldIssue(field_name, "INVALID", "The amount is too large.")]
    return []


def check_terms(terms: DebtTermsInput) -> list[FieldIssue]:
    """Every problem with the stated terms (empty: fine). ``currency`` is already normalized."""
    issues: list[FieldIssue] = []
    name = " ".join(terms.name.split())
    if not name:
        issues.append(FieldIssue("name", "REQUIRED", "A name is required."))
    elif len(name) > MAX_NAME:
        issues.append(FieldIssue("name", "TOO_LONG", f"At most {MAX_NAME} characters."))
    if terms.lender is not None and len(terms.lender) > MAX_NAME:
        issues.append(FieldIssue("lender", "TOO_LONG", f"At most {MAX_NAME} characters."))
    issues += _money_issues(terms.opening_balance, terms.currency, "openingBalance")
    issues += check_rate(terms.annual_rate_percent, "annualRatePercent")
    if not 1 <= terms.payment_day <= 31:
        issues.append(FieldIssue("paymentDay", "INVALID", "A payment day is 1 to 31."))
    rule = terms.rule
    if rule.kind is PaymentRuleKind.ANNUITY:
        if rule.term_months is None or not 1 <= rule.term_months <= MAX_TERM_MONTHS:
            issues.append(
                FieldIssue(
                    "paymentRule.termMonths",
                    "INVALID",
                    f"An annuity needs a term of 1 to {MAX_TERM_MONTHS} months.",
                )
            )
    elif rule.kind is PaymentRuleKind.FIXED:
        issues += _money_issues(rule.amount, terms.currency, "paymentRule.amount")
    else:
        if rule.percent is None or not (0 < rule.percent <= 100):
            issues.append(
                FieldIssue(
                    "paymentRule.percent", "INVALID", "A minimum percent is above 0, at most 100."
                )
            )
        issues += _money_issues(rule.floor, terms.currency, "paymentRule.floor")
    seen: set[date] = set()
    for i, change in enumerate(terms.rate_changes):
        at = f"rateChanges[{i}]"
        issues += check_rate(change.annual_rate_percent, f"{at}.annualRatePercent")
        if change.effective_from <= terms.start_date:
            issues.append(
                FieldIssue(f"{at}.from", "INVALID", "A rate change starts after the start date.")
            )
        if change.effective_from in seen:
            issues.append(FieldIssue(f"{at}.from", "INVALID", "One change per date."))
        seen.add(change.effective_from)
    return issues


def checked_terms(terms: DebtTermsInput) -> DebtTermsInput:
    issues = check_terms(terms)
    if issues:
        raise ValidationFailed(issues)
    return terms
