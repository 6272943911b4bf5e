"""Inputs and results of the property mutations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from fiscus.domain import properties as domain
from fiscus.schema.errors import ConflictError, NotFoundError, RuleViolationError, ValidationError
from fiscus.schema.ledger import TagInput
from fiscus.schema.properties import Building, Lease, LeaseDocument, Unit
from fiscus.schema.receivables import Charge


@strawberry.input
class CreateBuildingInput:
    name: str
    currency: str
    address: str | None = None
    details: list[TagInput] | None = strawberry.field(
        default=None, description="Free metadata (year built, parcel...)."
    )


@strawberry.input
class UpdateBuildingInput:
    building_id: strawberry.ID
    name: str | None = None
    address: str | None = None
    details: list[TagInput] | None = None


@strawberry.input
class BuildingIdInput:
    building_id: strawberry.ID


@strawberry.input
class CreateUnitInput:
    building_id: strawberry.ID
    number: str
    size: Decimal | None = None
    bedrooms: int | None = None
    market_rent: Decimal | None = None


@strawberry.input
class UpdateUnitInput:
    unit_id: strawberry.ID
    number: str | None = None
    size: Decimal | None = None
    bedrooms: int | None = None
    market_rent: Decimal | None = None


@strawberry.input
class UnitIdInput:
    unit_id: strawberry.ID


@strawberry.input
class LateFeeInput:
    kind: domain.LateFeeKind
    amount: Decimal
    mode: domain.LateFeeMode = domain.LateFeeMode.ONCE
    cap: Decimal | None = None


@strawberry.input
class LeasePartyInput:
    counterparty_id: strawberry.ID
    share: Decimal = Decimal(1)


@strawberry.input
class CreateLeaseInput:
    unit_id: strawberry.ID
    starts_on: date
    ends_on: date | None = None
    monthly_rent: Decimal
    due_day: int = 1
    grace_days: int = 0
    deposit: Decimal = Decimal(0)
    late_fee: LateFeeInput | None = None
    parties: list[LeasePartyInput]
    idempotency_key: str


@strawberry.input
class UpdateLeaseInput:
    lease_id: strawberry.ID
    ends_on: date | None = None
    clear_ends_on: bool = False
    monthly_rent: Decimal | None = None
    due_day: int | None = None
    grace_days: int | None = None
    late_fee: LateFeeInput | None = None
    clear_late_fee: bool = False


@strawberry.input
class LeaseIdInput:
    lease_id: strawberry.ID


@strawberry.input
class TerminateLeaseInput:
    lease_id: strawberry.ID
    date: date = strawberry.field(description="The lease's last day.")
    reason: str | None = None
    idempotency_key: str


@strawberry.input
class AddLeaseDocumentInput:
    lease_id: strawberry.ID
    name: str
    content_type: str | None = None
    size_bytes: int | None = None
    storage_key: str | None = None


@strawberry.input
class RemoveLeaseDocumentInput:
    document_id: strawberry.ID


@strawberry.input
class RecordPropertyExpenseInput:
    vendor_id: strawberry.ID
    building_id: strawberry.ID
    unit_id: strawberry.ID | None = None
    amount: Decimal
    date: date
    category: strawberry.ID = strawberry.field(description="The expense account.")
    payment_account: strawberry.ID = strawberry.field(
        description="The account it was paid from (bank, card)."
    )
    description: str | None = None
    idempotency_key: str


@strawberry.type
class BuildingSuccess:
    building: Building


@strawberry.type
class UnitSuccess:
    unit: Unit


@strawberry.type
class DeletedSuccess:
    deleted_id: strawberry.ID


@strawberry.type
class LeaseSuccess:
    lease: Lease
    charges: list[Charge] = strawberry.field(
        description="Charges this request wrote (deposits; a terminated lease's last month)."
    )
    voided: list[Charge] = strawberry.field(description="Charges this request voided.")
    replayed: bool


@strawberry.type
class LeaseDocumentSuccess:
    document: LeaseDocument


@strawberry.type
class PropertyExpenseSuccess:
    id: strawberry.ID
    amount: Decimal
    currency: str
    date: date
    entry_id: strawberry.ID
    replayed: bool


def _union(name: str, success: Any) -> Any:
    return Annotated[
        success | ValidationError | NotFoundError | RuleViolationError | ConflictError,
        strawberry.union(name),
    ]


BuildingResult = _union("BuildingResult", BuildingSuccess)
UnitResult = _union("UnitResult", UnitSuccess)
DeletedResult = _union("DeletedResult", DeletedSuccess)
LeaseResult = _union("LeaseResult", LeaseSuccess)
LeaseDocumentResult = _union("LeaseDocumentResult", LeaseDocumentSuccess)
PropertyExpenseResult = _union("PropertyExpenseResult", PropertyExpenseSuccess)
