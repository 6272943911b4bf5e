"""Goals and their progress.

- ``saved``: ACCOUNTS tracking sums the natural balances of the linked asset accounts (a
  DEBT_FREE goal links liability accounts instead: saved = target - what they still owe,
  at least 0); CONTRIBUTIONS tracking sums the contributions recorded for the goal.
- ``percent = saved / target x 100`` (half-even to 0.01, not capped at 100).
- ``required monthly saving = (target - saved) / months left``, rounded up to the minor
  unit, with ``months left`` = whole calendar months from this month to the target date's
  (at least 1); none without a target date.
- ``monthly rate = (saved now - saved at the end of the month WINDOW months ago) / WINDOW``;
  ``projected completion = today + ceil((target - saved) / rate)`` months when the rate is
  positive (none otherwise; today when already reached).
- Milestones at 25/50/75/100 % are reached once ``percent`` passes them (each is emitted
  once, by the service).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from uuid import UUID

from fiscus.domain.debts.arithmetic import from_month_index, has_minor_scale, month_index
from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.money import minor_units

MILESTONES = (25, 50, 75, 100)
WINDOW_MONTHS = 3
MAX_NAME = 200
MAX_ACCOUNTS = 20


class GoalKind(enum.StrEnum):
    EMERGENCY_FUND = "emergency_fund"
    PURCHASE = "purchase"
    RETIREMENT = "retirement"
    DEBT_FREE = "debt_free"
    OTHER = "other"


class GoalTracking(enum.StrEnum):
    ACCOUNTS = "accounts"
    CONTRIBUTIONS = "contributions"


@dataclass(frozen=True, slots=True)
class Goal:
    id: UUID
    org_id: UUID
    name: str
    kind: GoalKind
    target_amount: Decimal
    currency: str
    target_date: date | None
    priority: int
    tracking: GoalTracking
    account_ids: tuple[UUID, ...] = ()
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class GoalDraft:
    name: str
    kind: GoalKind
    target_amount: Decimal
    currency: str
    target_date: date | None
    priority: int
    tracking: GoalTracking
    account_ids: tuple[UUID, ...]


def checked_goal(draft: GoalDraft) -> GoalDraft:
    issues: list[FieldIssue] = []
    name = " ".join(draft.name.split())
    if not name:
        issues.append(FieldIssue("name", "REQUIRED", "A name is required."))
    elif len(name) > MAX_NAME:
        issues.append(FieldIssue("name", "TOO_LONG", f"At most {MAX_NAME} characters."))
    target = draft.target_amount
    if not target.is_finite() or target <= 0 or target >= Decimal(10) ** 15:
        issues.append(FieldIssue("targetAmount", "INVALID", "A positive target is required."))
    elif not has_minor_scale(target, draft.currency):
        issues.append(
            FieldIssue("targetAmount", "INVALID", f"Too many decimal places for {draft.currency}.")
        )
    if not 0 <= draft.priority <= 1000:
        issues.append(FieldIssue("priority", "INVALID", "A priority is 0 to 1000."))
    if draft.tracking is GoalTracking.ACCOUNTS and not draft.account_ids:
        issues.append(
            FieldIssue("accountIds", "REQUIRED", "A goal tracking accounts links at least one.")
        )
    if len(set(draft.account_ids)) > MAX_ACCOUNTS:
        issues.append(FieldIssue("accountIds", "INVALID", f"At most {MAX_ACCOUNTS} accounts."))
    if issues:
        raise ValidationFailed(issues)
    return GoalDraft(
        name,
        draft.kind,
        target,
        draft.currency,
        draft.target_date,
        draft.priority,
        draft.tracking,
        tuple(dict.fromkeys(draft.account_ids)),
    )


@dataclass(frozen=True, slots=True)
class GoalProgress:
    goal_id: UUID
    saved: Decimal
    target: Decimal
    remaining: Decimal
    percent: Decimal
    required_monthly: Decimal | None
    monthly_rate: Decimal
    projected_completion: date | None
    milestones: tuple[int, ...]
    on_track: bool | None
    """Projected by the target date (None without a target date or a projection)."""


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def goal_progress(
    goal: Goal, saved: Decimal, saved_window_ago: Decimal, today: date
) -> GoalProgress:
    q = _quantum(goal.currency)
    saved = saved.quantize(q, ROUND_HALF_EVEN)
    saved_window_ago = saved_window_ago.quantize(q, ROUND_HALF_EVEN)
    remaining = max(goal.target_amount - saved, Decimal(0))
    percent = (saved * 100 / goal.target_amount).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    required: Decimal | None = None
    if goal.target_date is not None:
        months_left = max(month_index(goal.target_date) - month_index(today), 1)
        required = (remaining / months_left).quantize(q, ROUND_CEILING)
    rate = ((saved - saved_window_ago) / WINDOW_MONTHS).quantize(q, ROUND_HALF_EVEN)
    projected: date | None
    if remaining <= 0:
        projected = today
    elif rate > 0:
        months = math.ceil(remaining / rate)
        projected = (
            from_month_index(month_index(today) + months, today.day) if months < 1200 else None
        )
    else:
        projected = None
    on_track = None
    if goal.target_date is not None and projected is not None:
        on_track = projected <= goal.target_date
    reached = tuple(m for m in MILESTONES if percent >= m)
    return GoalProgress(
        goal.id,
        saved,
        goal.target_amount.quantize(q),
        remaining.quantize(q),
        percent,
        required,
        rate,
        projected,
        reached,
        on_track,
    )
