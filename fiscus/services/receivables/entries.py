"""The ledger entries of charges, payments and allocations (``domain.receivables.postings``)
as writes for ``ledger.post``, and allocations planned into documents and entries."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.ledger import JournalLine
from fiscus.domain.receivables import Allocation, Charge, Counterparty, Payment, Planned
from fiscus.domain.receivables.postings import allocation_lines, charge_lines, payment_lines
from fiscus.services.receivables.ledger import LedgerWrite, new_entry, reversal


def charge_memo(charge: Charge) -> str:
    return f"Charge ({charge.kind.value}): {charge.description or charge.due_on.isoformat()}"


def lines_of_charge(counterparty: Counterparty, charge: Charge) -> list[JournalLine]:
    return charge_lines(
        sign=counterparty.kind.sign,
        amount=charge.amount,
        currency=charge.currency,
        control_account_id=counterparty.control_account_id,
        account_id=charge.account_id,
        counterparty=counterparty.ledger_tag,
        dimensions=charge.dimensions,
        memo=None,
    )


def lines_of_payment(counterparty: Counterparty, payment: Payment) -> list[JournalLine]:
    return payment_lines(
        sign=counterparty.kind.sign,
        amount=payment.amount,
        currency=payment.currency,
        cash_account_id=payment.account_id,
        credit_account_id=counterparty.credit_account_id,
        counterparty=counterparty.ledger_tag,
        memo=payment.reference,
    )


def lines_of_allocation(
    counterparty: Counterparty, amount: Decimal, dimensions: Mapping[str, str]
) -> list[JournalLine]:
    return allocation_lines(
        sign=counterparty.kind.sign,
        amount=amount,
        currency=counterparty.currency,
        credit_account_id=counterparty.credit_account_id,
        control_account_id=counterparty.control_account_id,
        counterparty=counterparty.ledger_tag,
        dimensions=dimensions,
        memo=None,
    )


def charge_write(
    counterparty: Counterparty, charge: Charge, now: datetime, *, account_field: str = "accountId"
) -> LedgerWrite:
    entry = new_entry(
        charge.org_id,
        charge.issued_on,
        charge_memo(charge),
        lines_of_charge(counterparty, charge),
        now,
        entry_id=charge.entry_id,
    )
    return LedgerWrite(
        entry, "receivables.charge_posted", {0: "counterpartyId", 1: account_field}, "issuedOn"
    )


def payment_write(counterparty: Counterparty, payment: Payment, now: datetime) -> LedgerWrite:
    memo = f"Payment ({payment.method.value})" + (
        f": {payment.reference}" if payment.reference else ""
    )
    entry = new_entry(
        payment.org_id,
        payment.received_on,
        memo,
        lines_of_payment(counterparty, payment),
        now,
        entry_id=payment.entry_id,
    )
    return LedgerWrite(entry, "receivables.payment_posted", {0: "accountId", 1: "counterpartyId"})


def allocations_of(
    counterparty: Counterparty,
    planned: Sequence[Planned],
    dimensions: Mapping[UUID, Mapping[str, str]],
    now: datetime,
) -> tuple[list[Allocation], list[LedgerWrite]]:
    """Allocation documents and their entries (dated as planned; the charge's dimensions)."""
    allocations: list[Allocation] = []
    writes: list[LedgerWrite] = []
    for plan in planned:
        lines = lines_of_allocation(counterparty, plan.amount, dimensions.get(plan.charge_id, {}))
        entry = new_entry(
            counterparty.org_id, plan.allocated_on, "Payment allocated to a charge", lines, now
        )
        writes.append(
            LedgerWrite(entry, "receivables.allocation_posted", {0: "paymentId", 1: "chargeId"})
        )
        allocations.append(
            Allocation(
                uuid.uuid4(),
                counterparty.org_id,
                plan.payment_id,
                plan.charge_id,
                counterparty.id,
                plan.amount,
                plan.allocated_on,
                entry.id,
            )
        )
    return allocations, writes


def allocation_voids(
    counterparty: Counterparty,
    allocations: Sequence[Allocation],
    charges: Mapping[UUID, Charge],
    day: date,
    now: datetime,
) -> tuple[list[tuple[UUID, UUID]], list[LedgerWrite]]:
    """Reversals of live allocations: ((allocation id, reversal entry id) pairs, writes)."""
    voids: list[tuple[UUID, UUID]] = []
    writes: list[LedgerWrite] = []
    for allocation in allocations:
        charge = charges[allocation.charge_id]
        lines = lines_of_allocation(counterparty, allocation.amount, charge.dimensions)
        entry = reversal(
            allocation.entry_id, counterparty.org_id, day, "Allocation voided", lines, now
        )
        voids.append((allocation.id, entry.id))
        writes.append(LedgerWrite(entry, "receivables.allocation_voided", {}, "date"))
    return voids, writes
