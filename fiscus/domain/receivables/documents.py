"""Charges (what is owed), payments (what was paid) and allocations (which payment settles
which charge, and how much). Nothing here stores a balance: a charge's open amount is its
amount less its live allocations, a payment's unallocated amount (the counterparty's
credit) is its amount less its live allocations.

Voiding never deletes: the voided document keeps its rows, gains a void date and the
reversal of its ledger entry; a void date is never before the document's own dates.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.money import minor_units

AMOUNT_QUANTUM = Decimal("0.0001")
"""Amounts are kept with four decimals (``NUMERIC(20, 4)``), and shown so."""
MAX_DESCRIPTION = 500
MAX_REFERENCE = 100
_AMOUNT_LIMIT = Decimal(10) ** 15


class ChargeKind(enum.StrEnum):
    RENT = "rent"
    LATE_FEE = "late_fee"
    DEPOSIT = "deposit"
    INVOICE = "invoice"
    BILL = "bill"
    OTHER = "other"


class ChargeStatus(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"
    VOID = "void"


class PaymentMethod(enum.StrEnum):
    CASH = "cash"
    CHECK = "check"
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    OTHER = "other"


class PaymentStatus(enum.StrEnum):
    ACTIVE = "active"
    VOID = "void"


@dataclass(frozen=True, slots=True)
class Charge:
    id: UUID
    org_id: UUID
    counterparty_id: UUID
    kind: ChargeKind
    amount: Decimal
    currency: str
    issued_on: date
    due_on: date
    description: str | None
    account_id: UUID
    """The income (or, for a vendor's bill, expense) account the charge posts against."""
    entry_id: UUID
    dimensions: Mapping[str, str] = field(default_factory=dict)
    lease_id: UUID | None = None
    source_key: str | None = None
    """Unique per organization: what makes a generated charge (rent of a lease and month,
    a late fee) exist at most once."""
    fee_for: UUID | None = None
    voided_on: date | None = None
    void_reason: str | None = None
    settled_from: date | None = None
    """From this day on the charge has nothing open, for good (None: open now or later).
    Derived from the allocations and the void; reads use it to skip settled charges."""
    created_at: datetime | None = None

    @property
    def status(self) -> ChargeStatus:
        if self.voided_on is not None:
            return ChargeStatus.VOID
        return ChargeStatus.OPEN if self.settled_from is None else ChargeStatus.PAID


@dataclass(frozen=True, slots=True)
class Payment:
    id: UUID
    org_id: UUID
    counterparty_id: UUID
    amount: Decimal
    currency: str
    received_on: date
    method: PaymentMethod
    account_id: UUID
    """The cash or bank account the money went into (or, to a vendor, came out of)."""
    entry_id: UUID
    reference: str | None = None
    memo: str | None = None
    voided_on: date | None = None
    void_reason: str | None = None
    created_at: datetime | None = None

    @property
    def status(self) -> PaymentStatus:
        return PaymentStatus.ACTIVE if self.voided_on is None else PaymentStatus.VOID


@dataclass(frozen=True, slots=True)
class Allocation:
    id: UUID
    org_id: UUID
    payment_id: UUID
    charge_id: UUID
    counterparty_id: UUID
    amount: Decimal
    allocated_on: date
    entry_id: UUID
    voided_on: date | None = None

    def live_on(self, day: date) -> bool:
        """Counted on ``day``: made on or before it, not voided by then."""
        return self.allocated_on <= day and (self.voided_on is None or self.voided_on > day)


def exact(amount: Decimal) -> Decimal:
    return amount.quantize(AMOUNT_QUANTUM)


def check_amount(amount: Decimal, currency: str, *, field_name: str = "amount") -> Decimal:
    """A positive amount with at most the currency's minor units (as kept: four decimals)."""
    if not amount.is_finite():
        raise ValidationFailed([FieldIssue(field_name, "INVALID", "Not a finite amount.")])
    if amount <= 0:
        raise ValidationFailed([FieldIssue(field_name, "INVALID", "The amount must be positive.")])
    places = minor_units(currency)
    if amount.as_tuple().exponent < -places:  # type: ignore[operator]
        raise ValidationFailed(
            [FieldIssue(field_name, "INVALID", f"At most {places} decimal places in {currency}.")]
        )
    if amount >= _AMOUNT_LIMIT:
        raise ValidationFailed([FieldIssue(field_name, "INVALID", "The amount is too large.")])
    return exact(amount)


def check_void_date(voided_on: date, not_before: date, *, what: str) -> None:
    if voided_on < not_before:
        raise ValidationFailed(
            [
                FieldIssue(
                    "date",
                    "INVALID",
                    f"A void cannot be dated before {what} ({not_before.isoformat()}).",
                )
            ]
        )


def clean_text(value: str | None, *, field_name: str, max_length: int) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    if not cleaned:
        return None
    if len(cleaned) > max_length:
        raise ValidationFailed(
            [FieldIssue(field_name, "TOO_LONG", f"At most {max_length} characters.")]
        )
    return cleaned
