"""Inputs and results of the receivables mutations: one ``input`` each, typed errors, an
``idempotencyKey`` wherever money moves."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from fiscus.domain import receivables as domain
from fiscus.schema.errors import ConflictError, NotFoundError, RuleViolationError, ValidationError
from fiscus.schema.ledger import TagInput
from fiscus.schema.receivables import Allocation, Charge, Counterparty, Payment


@strawberry.input
class CreateCounterpartyInput:
    kind: domain.CounterpartyKind
    name: str
    currency: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    control_account_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Default: the organization's AR-<currency> (vendors: AP-<currency>), "
        "created on first use.",
    )
    credit_account_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Default: AR-CREDITS-<currency> (vendors: AP-ADVANCES-<currency>).",
    )
    default_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="The account charges post against unless they name one."
    )


@strawberry.input
class UpdateCounterpartyInput:
    counterparty_id: strawberry.ID
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    default_account_id: strawberry.ID | None = None
    clear_default_account: bool = False
    archived: bool | None = None


@strawberry.input
class CreateChargeInput:
    counterparty_id: strawberry.ID
    kind: domain.ChargeKind
    amount: Decimal
    due_on: date
    issued_on: date | None = strawberry.field(
        default=None, description="The posting date; default: the due date."
    )
    currency: str | None = None
    description: str | None = None
    account_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Income (or expense) account; default: the counterparty's, else the "
        "standard RENT-INCOME / LATE-FEES / DEPOSITS-HELD account of the kind.",
    )
    dimensions: list[TagInput] | None = None
    lease_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A charge under a lease (to one of its tenants): tagged with the lease's "
        "building and unit.",
    )
    apply_credit: bool = strawberry.field(
        default=True,
        description="Apply the counterparty's unallocated payments to its open charges "
        "(oldest due first).",
    )
    idempotency_key: str


@strawberry.input
class AllocationInput:
    charge_id: strawberry.ID
    amount: Decimal


@strawberry.input
class RecordPaymentInput:
    counterparty_id: strawberry.ID
    amount: Decimal
    date: date
    account_id: strawberry.ID = strawberry.field(description="The cash or bank account.")
    method: domain.PaymentMethod = domain.PaymentMethod.OTHER
    reference: str | None = None
    memo: str | None = None
    currency: str | None = None
    allocate: domain.AllocationMode = domain.AllocationMode.AUTO
    allocations: list[AllocationInput] | None = strawberry.field(
        default=None, description="With allocate: EXPLICIT."
    )
    idempotency_key: str


@strawberry.input
class AllocatePaymentInput:
    payment_id: strawberry.ID
    allocate: domain.AllocationMode = domain.AllocationMode.AUTO
    allocations: list[AllocationInput] | None = None
    idempotency_key: str


@strawberry.input
class VoidChargeInput:
    charge_id: strawberry.ID
    date: date | None = strawberry.field(default=None, description="Default: today.")
    reason: str | None = None
    idempotency_key: str


@strawberry.input
class VoidPaymentInput:
    payment_id: strawberry.ID
    date: date | None = strawberry.field(default=None, description="Default: today.")
    reason: str | None = None
    idempotency_key: str


@strawberry.type
class CounterpartySuccess:
    counterparty: Counterparty


@strawberry.type
class ChargeSuccess:
    charge: Charge
    allocations: list[Allocation] = strawberry.field(
        description="Allocations this request made (the counterparty's credit applied)."
    )
    replayed: bool


@strawberry.type
class PaymentSuccess:
    payment: Payment
    allocations: list[Allocation] = strawberry.field(description="Allocations this request made.")
    replayed: bool


def _union(name: str, success: Any) -> Any:
    return Annotated[
        success | ValidationError | NotFoundError | RuleViolationError | ConflictError,
        strawberry.union(name),
    ]


CounterpartyResult = _union("CounterpartyResult", CounterpartySuccess)
ChargeResult = _union("ChargeResult", ChargeSuccess)
PaymentResult = _union("PaymentResult", PaymentSuccess)
