"""A budget and its rules."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.debts.arithmetic import has_minor_scale
from fiscus.domain.errors import FieldIssue, ValidationFailed

MAX_NAME = 200


class Rollover(enum.StrEnum):
    """What a month's remainder does to the next month's available amount."""

    NONE = "none"
    CARRY_UNSPENT = "carry_unspent"
    """What was not spent adds to the next month (an overspend is forgiven)."""
    CARRY_OVERSPEND = "carry_overspend"
    """An overspend is taken from the next month (what was not spent lapses)."""


class BudgetAlertKind(enum.StrEnum):
    THRESHOLD = "threshold"
    """Spending reached the alert threshold (a percent of the available amount)."""
    PROJECTED_OVERSPEND = "projected_overspend"
    """At the pace so far, the month ends above the available amount."""


@dataclass(frozen=True, slots=True)
class Budget:
    id: UUID
    org_id: UUID
    name: str
    account_id: UUID
    include_subtree: bool
    amount: Decimal
    """Per month, in the account's currency."""
    currency: str
    rollover: Rollover
    alert_threshold_percent: Decimal
    start_month: date
    """First day of the first budgeted month; rollovers run from here."""
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class BudgetDraft:
    name: str
    amount: Decimal
    currency: str
    rollover: Rollover
    alert_threshold_percent: Decimal
    start_month: date


def checked_budget(draft: BudgetDraft) -> BudgetDraft:
    issues: list[FieldIssue] = []
    name = " ".join(draft.name.split())
    if not name:
        issues.append(FieldIssue("name", "REQUIRED", "A name is required."))
    elif len(name) > MAX_NAME:
        issues.append(FieldIssue("name", "TOO_LONG", f"At most {MAX_NAME} characters."))
    amount = draft.amount
    if not amount.is_finite() or amount <= 0 or amount >= Decimal(10) ** 15:
        issues.append(FieldIssue("amount", "INVALID", "A positive monthly amount is required."))
    elif not has_minor_scale(amount, draft.currency):
        issues.append(
            FieldIssue("amount", "INVALID", f"Too many decimal places for {draft.currency}.")
        )
    threshold = draft.alert_threshold_percent
    if not threshold.is_finite() or not 0 < threshold <= 1000:
        issues.append(
            FieldIssue(
                "alertThresholdPercent",
                "INVALID",
                "A threshold is a percent above 0, at most 1000.",
            )
        )
    if issues:
        raise ValidationFailed(issues)
    return BudgetDraft(
        name,
        amount,
        draft.currency,
        draft.rollover,
        threshold,
        draft.start_month.replace(day=1),
    )
