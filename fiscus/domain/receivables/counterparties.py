"""Counterparties: who owes the organization (customers, tenants) or whom it owes (vendors).

Every counterparty keeps one currency and three ledger accounts: the **control** account
(receivable for customers and tenants, payable for vendors), the **credit** account (payments
not yet allocated: customer credits, a liability; vendor advances, an asset) and an optional
**default** account its charges post against (income, or expense for a vendor's bills).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.identity import normalize_email
from fiscus.domain.receivables.documents import clean_text

MAX_NAME = 200
MAX_PHONE = 40
MAX_ADDRESS = 500


class CounterpartyKind(enum.StrEnum):
    CUSTOMER = "customer"
    TENANT = "tenant"
    VENDOR = "vendor"

    @property
    def sign(self) -> int:
        """+1: they owe us (a receivable, debit > 0); -1: we owe them (a payable). Every
        posting of the sub-ledger is the receivable posting multiplied by this sign."""
        return -1 if self is CounterpartyKind.VENDOR else 1


@dataclass(frozen=True, slots=True)
class Counterparty:
    id: UUID
    org_id: UUID
    kind: CounterpartyKind
    name: str
    currency: str
    control_account_id: UUID
    credit_account_id: UUID
    default_account_id: UUID | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    archived: bool = False
    created_at: datetime | None = None

    @property
    def ledger_tag(self) -> str:
        """What the ledger's lines carry in ``counterparty``: the id, so a counterparty's
        receivable is the control account's balance over lines with this tag."""
        return str(self.id)


@dataclass(frozen=True, slots=True)
class ContactDetails:
    name: str
    email: str | None
    phone: str | None
    address: str | None


def contact_details(
    name: str, email: str | None, phone: str | None, address: str | None
) -> ContactDetails:
    issues: list[FieldIssue] = []
    clean_name = " ".join(name.split())
    if not clean_name:
        issues.append(FieldIssue("name", "REQUIRED", "A name is required."))
    elif len(clean_name) > MAX_NAME:
        issues.append(FieldIssue("name", "TOO_LONG", f"At most {MAX_NAME} characters."))
    clean_email: str | None = None
    if email is not None and email.strip():
        try:
            clean_email = normalize_email(email)
        except ValidationFailed as failure:
            issues.extend(failure.issues)
    clean_phone = clean_address = None
    try:
        clean_phone = clean_text(phone, field_name="phone", max_length=MAX_PHONE)
    except ValidationFailed as failure:
        issues.extend(failure.issues)
    try:
        clean_address = clean_text(address, field_name="address", max_length=MAX_ADDRESS)
    except ValidationFailed as failure:
        issues.extend(failure.issues)
    if issues:
        raise ValidationFailed(issues)
    return ContactDetails(clean_name, clean_email, clean_phone, clean_address)
