"""Which payment settles which charge.

Automatic allocation takes the open charges oldest due first (then oldest issued, then by
id, so it is deterministic) and gives each as much as is left; explicit allocation names
the charges and amounts. Either way no allocation exceeds the payment's unallocated
amount or the charge's open amount; whatever is left stays the counterparty's credit and
is applied to later charges. An allocation is dated the later of the payment's and the
charge's dates: money cannot settle a charge before both exist.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed


class AllocationMode(enum.StrEnum):
    AUTO = "auto"
    NONE = "none"
    EXPLICIT = "explicit"


@dataclass(frozen=True, slots=True)
class OpenItem:
    """A charge with something open now."""

    charge_id: UUID
    due_on: date
    issued_on: date
    open_amount: Decimal


@dataclass(frozen=True, slots=True)
class Credit:
    """A payment with something unallocated now."""

    payment_id: UUID
    received_on: date
    unallocated: Decimal


@dataclass(frozen=True, slots=True)
class Planned:
    payment_id: UUID
    charge_id: UUID
    amount: Decimal
    allocated_on: date


@dataclass(frozen=True, slots=True)
class Requested:
    charge_id: UUID
    amount: Decimal


def oldest_due_first(items: Sequence[OpenItem]) -> list[OpenItem]:
    return sorted(items, key=lambda i: (i.due_on, i.issued_on, str(i.charge_id)))


def oldest_credit_first(credits: Sequence[Credit]) -> list[Credit]:
    return sorted(credits, key=lambda c: (c.received_on, str(c.payment_id)))


def plan_auto(credits: Sequence[Credit], items: Sequence[OpenItem]) -> list[Planned]:
    """Credits oldest first against charges oldest due first, greedily."""
    planned: list[Planned] = []
    remaining = {i.charge_id: i.open_amount for i in items}
    ordered = oldest_due_first(items)
    for credit in oldest_credit_first(credits):
        left = credit.unallocated
        for item in ordered:
            if left <= 0:
                break
            open_amount = remaining[item.charge_id]
            if open_amount <= 0:
                continue
            amount = min(left, open_amount)
            planned.append(
                Planned(
                    credit.payment_id,
                    item.charge_id,
                    amount,
                    max(credit.received_on, item.issued_on),
                )
            )
            remaining[item.charge_id] = open_amount - amount
            left -= amount
    return planned


def plan_explicit(
    credit: Credit,
    requested: Sequence[Requested],
    open_items: Mapping[UUID, OpenItem],
    *,
    field_name: str = "allocations",
) -> list[Planned]:
    """The requested allocations of one payment, or ``ValidationFailed`` naming each row
    that names an unknown charge, a charge with less open, or more than the payment has."""
    issues: list[FieldIssue] = []
    seen: set[UUID] = set()
    left = credit.unallocated
    planned: list[Planned] = []
    for i, row in enumerate(requested):
        at = f"{field_name}[{i}]"
        item = open_items.get(row.charge_id)
        if row.charge_id in seen:
            issues.append(FieldIssue(f"{at}.chargeId", "INVALID", "Each charge once per request."))
            continue
        seen.add(row.charge_id)
        if item is None:
            issues.append(
                FieldIssue(
                    f"{at}.chargeId",
                    "NOT_FOUND",
                    "No open charge of this counterparty has this id.",
                )
            )
            continue
        if not row.amount.is_finite() or row.amount <= 0:
            issues.append(FieldIssue(f"{at}.amount", "INVALID", "The amount must be positive."))
            continue
        if row.amount > item.open_amount:
            issues.append(
                FieldIssue(
                    f"{at}.amount",
                    "OVER_ALLOCATED",
                    f"The charge has only {item.open_amount} open.",
                )
            )
            continue
        if row.amount > left:
            issues.append(
                FieldIssue(
                    f"{at}.amount",
                    "OVER_ALLOCATED",
                    f"The payment has only {max(left, Decimal(0))} left to allocate.",
                )
            )
            left -= row.amount
            continue
        left -= row.amount
        planned.append(
            Planned(
                credit.payment_id,
                row.charge_id,
                row.amount,
                max(credit.received_on, item.issued_on),
            )
        )
    if issues:
        raise ValidationFailed(issues)
    return planned
