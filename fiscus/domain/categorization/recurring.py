"""Recurring series: subscriptions, bills and income that come back on a schedule.

A series is one payee on one account, in one direction, seen at least ``MIN_OCCURRENCES``
times, whose gaps match a period (weekly, biweekly, monthly, quarterly, yearly) for at least
``REGULARITY`` of them, and whose amounts stay within ``AMOUNT_SPREAD`` of their median for
at least as many. A series with (nearly) constant amounts paid out is a subscription; varying
amounts paid out, a bill; money in, income. The next expected date follows the period from
the last one (monthly: the same day of the month); the next amount is the median of the last
three.
"""

from __future__ import annotations

import calendar
import itertools
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

MIN_OCCURRENCES = 3
REGULARITY = 0.75
AMOUNT_SPREAD = Decimal("0.5")
FIXED_SPREAD = Decimal("0.02")
# name, length in days, tolerance in days, months per step (0: use days)
PERIODS: tuple[tuple[str, float, float, int], ...] = (
    ("weekly", 7, 1, 0),
    ("biweekly", 14, 2, 0),
    ("monthly", 30.44, 4, 1),
    ("quarterly", 91.3, 8, 3),
    ("yearly", 365.25, 12, 12),
)


@dataclass(frozen=True, slots=True)
class RecurringInput:
    line_id: UUID
    account_id: UUID
    payee: str
    date: date
    amount: Decimal
    category_account_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class RecurringSeries:
    payee: str
    account_id: UUID
    kind: str
    """subscription, bill or income"""
    period: str
    occurrences: int
    typical_amount: Decimal
    last_date: date
    last_amount: Decimal
    next_date: date
    next_amount: Decimal
    regularity: float
    active: bool
    """False once the next date is more than half a period past ``today``."""
    category_account_id: UUID | None
    line_ids: tuple[UUID, ...]


def _add_months(day: date, months: int, anchor_day: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def _series(group: list[RecurringInput], today: date) -> RecurringSeries | None:
    group.sort(key=lambda line: (line.date, line.line_id))
    if len(group) < MIN_OCCURRENCES:
        return None
    gaps = [(b.date - a.date).days for a, b in itertools.pairwise(group)]
    if any(gap == 0 for gap in gaps):
        return None  # several on one day: a habit, not a schedule
    median_gap = statistics.median(gaps)
    period = next((p for p in PERIODS if abs(median_gap - p[1]) <= p[2]), None)
    if period is None:
        return None
    name, days, tolerance, months = period
    regular = sum(1 for gap in gaps if abs(gap - days) <= tolerance) / len(gaps)
    if regular < REGULARITY:
        return None
    amounts = [line.amount for line in group]
    typical = Decimal(statistics.median(amounts))
    spread = abs(typical) * AMOUNT_SPREAD
    similar = sum(1 for a in amounts if abs(a - typical) <= spread) / len(amounts)
    if similar < REGULARITY:
        return None
    last = group[-1]
    if months:
        anchor = statistics.mode(line.date.day for line in group)
        next_date = _add_months(last.date, months, anchor)
    else:
        next_date = last.date + timedelta(days=int(days))
    fixed = all(abs(a - typical) <= abs(typical) * FIXED_SPREAD for a in amounts[-3:])
    kind = "income" if typical > 0 else ("subscription" if fixed else "bill")
    next_amount = Decimal(statistics.median(amounts[-3:]))
    categories = [line.category_account_id for line in group if line.category_account_id]
    category = statistics.mode(categories) if categories else None
    return RecurringSeries(
        payee=last.payee,
        account_id=last.account_id,
        kind=kind,
        period=name,
        occurrences=len(group),
        typical_amount=typical.quantize(Decimal("0.01")),
        last_date=last.date,
        last_amount=last.amount,
        next_date=next_date,
        next_amount=next_amount.quantize(Decimal("0.01")),
        regularity=round(regular, 3),
        active=today <= next_date + timedelta(days=days / 2),
        category_account_id=category,
        line_ids=tuple(line.line_id for line in group),
    )


def detect_recurring(lines: Sequence[RecurringInput], *, today: date) -> list[RecurringSeries]:
    """Series found among ``lines``, soonest next date first."""
    groups: dict[tuple[UUID, str, bool], list[RecurringInput]] = defaultdict(list)
    for line in lines:
        if line.amount != 0 and line.payee.strip():
            groups[(line.account_id, line.payee.strip().upper(), line.amount > 0)].append(line)
    found = [s for s in (_series(g, today) for g in groups.values()) if s is not None]
    found.sort(key=lambda s: (not s.active, s.next_date, s.payee))
    return found
