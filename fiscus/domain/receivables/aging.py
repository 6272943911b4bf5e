"""Aging as of a day, and the one derived date the sub-ledger keeps (``settled_from``).

A charge's open amount on day D = its amount, if issued on or before D and not voided on or
before D, less its allocations made on or before D and not voided on or before D. It is past
due by ``D - due_on`` days; buckets: current (not past due), 1-30, 31-60, 61-90, over 90.
The buckets of a set of charges sum to their total open amount.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from fiscus.domain.receivables.documents import Allocation

ZERO = Decimal("0.0000")


class AgingBucket(enum.StrEnum):
    CURRENT = "current"
    DAYS_1_30 = "days_1_30"
    DAYS_31_60 = "days_31_60"
    DAYS_61_90 = "days_61_90"
    OVER_90 = "over_90"


def bucket_of(days_past_due: int) -> AgingBucket:
    if days_past_due <= 0:
        return AgingBucket.CURRENT
    if days_past_due <= 30:
        return AgingBucket.DAYS_1_30
    if days_past_due <= 60:
        return AgingBucket.DAYS_31_60
    if days_past_due <= 90:
        return AgingBucket.DAYS_61_90
    return AgingBucket.OVER_90


@dataclass(slots=True)
class AgingFigures:
    current: Decimal = ZERO
    days_1_30: Decimal = ZERO
    days_31_60: Decimal = ZERO
    days_61_90: Decimal = ZERO
    over_90: Decimal = ZERO
    charges: int = 0

    @property
    def total(self) -> Decimal:
        return self.current + self.days_1_30 + self.days_31_60 + self.days_61_90 + self.over_90

    @property
    def past_due(self) -> Decimal:
        return self.total - self.current

    def add(self, bucket: AgingBucket, amount: Decimal, charges: int = 1) -> None:
        name = bucket.value
        setattr(self, name, getattr(self, name) + amount)
        self.charges += charges

    def merge(self, other: AgingFigures) -> None:
        for bucket in AgingBucket:
            self.add(bucket, getattr(other, bucket.value), 0)
        self.charges += other.charges


@dataclass(frozen=True, slots=True)
class OpenAmount:
    """One charge's open amount on the aging day."""

    charge_id: object
    group: str | None
    due_on: date
    amount: Decimal


@dataclass(slots=True)
class AgingRow:
    key: str | None
    """The group's key (a counterparty id, a dimension value); None for "not tagged"."""
    label: str
    figures: AgingFigures = field(default_factory=AgingFigures)


def age(items: Iterable[OpenAmount], as_of: date) -> tuple[list[AgingRow], AgingFigures]:
    """Rows per group (sorted by key) and the total."""
    rows: dict[str | None, AgingRow] = {}
    total = AgingFigures()
    for item in items:
        if item.amount <= 0:
            continue
        bucket = bucket_of((as_of - item.due_on).days)
        row = rows.setdefault(item.group, AgingRow(item.group, item.group or ""))
        row.figures.add(bucket, item.amount)
        total.add(bucket, item.amount)
    return [rows[k] for k in sorted(rows, key=lambda k: (k is None, k or ""))], total


def open_on(
    amount: Decimal,
    issued_on: date,
    voided_on: date | None,
    allocations: Sequence[Allocation],
    day: date,
) -> Decimal:
    if issued_on > day or (voided_on is not None and voided_on <= day):
        return ZERO
    return amount - sum((a.amount for a in allocations if a.live_on(day)), ZERO)


def settled_from(
    amount: Decimal,
    issued_on: date,
    voided_on: date | None,
    allocations: Sequence[Allocation],
) -> date | None:
    """The first day from which the charge has nothing open on any later day; None when it
    is open today (for good: no further event would close it). The open amount only changes
    on the days of its events (issue, allocations, their voids, the void)."""
    days = sorted(
        {issued_on}
        | {a.allocated_on for a in allocations}
        | {a.voided_on for a in allocations if a.voided_on is not None}
        | ({voided_on} if voided_on is not None else set())
    )
    settled: date | None = None
    for day in days:
        if open_on(amount, issued_on, voided_on, allocations, day) > 0:
            settled = None
        elif settled is None:
            settled = day
    return settled
