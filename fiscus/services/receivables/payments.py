"""Payments: record one (allocated automatically oldest due first, explicitly, or not at
all), allocate what is left of one, void one (reversing its entry and its live allocations'
entries; the charges they settled are open again)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.receivables import (
    MAX_DESCRIPTION,
    MAX_REFERENCE,
    Allocation,
    AllocationMode,
    Counterparty,
    Credit,
    Payment,
    PaymentMethod,
    Planned,
    Requested,
    check_amount,
    check_void_date,
    clean_text,
    plan_auto,
    plan_explicit,
)
from fiscus.persistence.models.identity import AuditEventRow
from fiscus.persistence.uow import UnitOfWork
from fiscus.services import idempotency
from fiscus.services.receivables import accounts, ledger
from fiscus.services.receivables.charges import allocation_events
from fiscus.services.receivables.context import ReceivablesContext
from fiscus.services.receivables.entries import (
    allocation_voids,
    allocations_of,
    lines_of_payment,
    payment_write,
)

RECORD_SCOPE = "receivables.record_payment"
ALLOCATE_SCOPE = "receivables.allocate_payment"
VOID_SCOPE = "receivables.void_payment"


@dataclass(frozen=True, slots=True)
class PaymentInput:
    counterparty_id: UUID
    amount: Decimal
    received_on: date
    account_id: UUID
    method: PaymentMethod = PaymentMethod.OTHER
    reference: str | None = None
    memo: str | None = None
    currency: str | None = None
    allocate: AllocationMode = AllocationMode.AUTO
    allocations: Sequence[Requested] = ()


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    payment: Payment
    allocations: list[Allocation]
    """The allocations this request made (a replay: every allocation of the payment)."""
    replayed: bool = False


def _requested(rows: Sequence[Requested]) -> list[dict[str, str]]:
    return [
        {
            "charge": str(r.charge_id),
            "amount": str(r.amount.normalize()) if r.amount.is_finite() else "nan",
        }
        for r in rows
    ]


def _check_mode(mode: AllocationMode, rows: Sequence[Requested]) -> None:
    if mode is AllocationMode.EXPLICIT and not rows:
        raise ValidationFailed(
            [FieldIssue("allocations", "REQUIRED", "EXPLICIT allocation lists the charges.")]
        )
    if mode is not AllocationMode.EXPLICIT and rows:
        raise ValidationFailed(
            [
                FieldIssue(
                    "allocations", "INVALID", "Charges are listed only with allocate: EXPLICIT."
                )
            ]
        )


async def _plan(
    uow: UnitOfWork,
    counterparty: Counterparty,
    credit: Credit,
    mode: AllocationMode,
    rows: Sequence[Requested],
) -> list[Planned]:
    if mode is AllocationMode.NONE:
        return []
    items = (await uow.receivables.open_items([counterparty.id])).get(counterparty.id, [])
    if mode is AllocationMode.AUTO:
        return plan_auto([credit], items)
    return plan_explicit(credit, rows, {i.charge_id: i for i in items})


async def _allocate(
    uow: UnitOfWork, counterparty: Counterparty, planned: Sequence[Planned], now: datetime
) -> tuple[list[Allocation], list[ledger.LedgerWrite]]:
    charges = await uow.receivables.charges([p.charge_id for p in planned]) if planned else {}
    return allocations_of(counterparty, planned, {i: c.dimensions for i, c in charges.items()}, now)


async def record_payment(
    ctx: ReceivablesContext, principal: Principal, given: PaymentInput, *, idempotency_key: str
) -> PaymentOutcome:
    key = idempotency.check_key(idempotency_key)
    _check_mode(given.allocate, given.allocations)
    reference = clean_text(given.reference, field_name="reference", max_length=MAX_REFERENCE)
    memo = clean_text(given.memo, field_name="memo", max_length=MAX_DESCRIPTION)
    now = ctx.clock()
    payment_id = uuid.uuid4()
    request = {
        "counterparty": str(given.counterparty_id),
        "amount": str(given.amount.normalize()) if given.amount.is_finite() else "nan",
        "date": given.received_on.isoformat(),
        "account": str(given.account_id),
        "method": given.method.value,
        "reference": reference,
        "memo": memo,
        "currency": given.currency,
        "allocate": given.allocate.value,
        "allocations": _requested(given.allocations),
    }
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        replay = await idempotency.once(
            uow,
            scope=RECORD_SCOPE,
            key=key,
            request=request,
            result={"payment_id": str(payment_id)},
            at=now,
        )
        if replay is not None:
            return await _stored(uow, UUID(replay["payment_id"]))
        counterparty = (await uow.receivables.lock([given.counterparty_id])).get(
            given.counterparty_id
        )
        if counterparty is None:
            raise NotFound("No such counterparty.", field="counterpartyId")
        currency = (given.currency or counterparty.currency).strip().upper()
        if currency != counterparty.currency:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "currency",
                        "CURRENCY_MISMATCH",
                        f"This counterparty pays in {counterparty.currency}.",
                    )
                ]
            )
        amount = check_amount(given.amount, currency)
        accounts.check_account(
            await uow.receivables.accounts([given.account_id]),
            given.account_id,
            field_name="accountId",
            currency=currency,
            not_one_of=[counterparty.control_account_id, counterparty.credit_account_id],
        )
        payment = Payment(
            payment_id,
            principal.org_id,
            counterparty.id,
            amount,
            currency,
            given.received_on,
            given.method,
            given.account_id,
            uuid.uuid4(),
            reference,
            memo,
            created_at=now,
        )
        credit = Credit(payment.id, payment.received_on, payment.amount)
        planned = await _plan(uow, counterparty, credit, given.allocate, given.allocations)
        allocations, writes = await _allocate(uow, counterparty, planned, now)
        await uow.receivables.insert_payment(payment, user_id=principal.user_id, at=now)
        await ledger.post(
            uow, principal.user_id, [payment_write(counterparty, payment, now), *writes], now
        )
        await _finish(uow, principal.user_id, allocations, [payment.id], now)
        events: list[AuditEventRow] = [
            ledger.event(
                principal.org_id,
                principal.user_id,
                action="receivables.payment_recorded",
                subject_type="payment",
                subject_id=payment.id,
                at=now,
                details={
                    "counterparty": str(counterparty.id),
                    "amount": str(payment.amount),
                    "currency": currency,
                    "date": payment.received_on.isoformat(),
                },
            )
        ]
        await ledger.record_events(uow, events)
        await uow.commit()
    return PaymentOutcome(payment, allocations)


async def _finish(
    uow: UnitOfWork,
    user_id: UUID | None,
    allocations: Sequence[Allocation],
    payment_ids: Sequence[UUID],
    now: datetime,
) -> None:
    await uow.receivables.insert_allocations(allocations, now)
    await uow.receivables.refresh_derived([a.charge_id for a in allocations], payment_ids)
    await ledger.record_events(uow, allocation_events(allocations, user_id, now))


async def allocate_payment(
    ctx: ReceivablesContext,
    principal: Principal,
    payment_id: UUID,
    *,
    mode: AllocationMode,
    allocations: Sequence[Requested],
    idempotency_key: str,
) -> PaymentOutcome:
    """Allocates what is left of an active payment (AUTO or EXPLICIT)."""
    key = idempotency.check_key(idempotency_key)
    if mode is AllocationMode.NONE:
        raise ValidationFailed([FieldIssue("allocate", "INVALID", "AUTO or EXPLICIT.")])
    _check_mode(mode, allocations)
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        replay = await idempotency.once(
            uow,
            scope=ALLOCATE_SCOPE,
            key=key,
            request={
                "payment": str(payment_id),
                "mode": mode.value,
                "allocations": _requested(allocations),
            },
            result={"payment_id": str(payment_id)},
            at=now,
        )
        if replay is not None:
            return await _stored(uow, UUID(replay["payment_id"]))
        payment, counterparty = await _locked_payment(uow, payment_id)
        if payment.voided_on is not None:
            raise RuleViolation("ALREADY_VOIDED", "This payment was voided.", "paymentId")
        live = [
            a
            for a in await uow.receivables.allocations_of_payments([payment_id])
            if a.voided_on is None
        ]
        left = payment.amount - sum((a.amount for a in live), Decimal(0))
        if left <= 0:
            raise RuleViolation(
                "OVER_ALLOCATED", "Nothing of this payment is left to allocate.", "paymentId"
            )
        credit = Credit(payment.id, payment.received_on, left)
        planned = await _plan(uow, counterparty, credit, mode, allocations)
        made, writes = await _allocate(uow, counterparty, planned, now)
        await ledger.post(uow, principal.user_id, writes, now)
        await _finish(uow, principal.user_id, made, [payment.id], now)
        await uow.commit()
    return PaymentOutcome(payment, made)


async def _locked_payment(uow: UnitOfWork, payment_id: UUID) -> tuple[Payment, Counterparty]:
    seen = (await uow.receivables.payments([payment_id])).get(payment_id)
    if seen is None:
        raise NotFound("No such payment.", field="paymentId")
    counterparty = (await uow.receivables.lock([seen.counterparty_id]))[seen.counterparty_id]
    payment = (await uow.receivables.payments([payment_id]))[payment_id]  # as of the lock
    return payment, counterparty


async def void_payment(
    ctx: ReceivablesContext,
    principal: Principal,
    payment_id: UUID,
    *,
    idempotency_key: str,
    day: date | None = None,
    reason: str | None = None,
) -> PaymentOutcome:
    key = idempotency.check_key(idempotency_key)
    reason = clean_text(reason, field_name="reason", max_length=MAX_DESCRIPTION)
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        replay = await idempotency.once(
            uow,
            scope=VOID_SCOPE,
            key=key,
            request={
                "payment": str(payment_id),
                "date": day.isoformat() if day else None,
                "reason": reason,
            },
            result={"payment_id": str(payment_id)},
            at=now,
        )
        if replay is not None:
            return await _stored(uow, UUID(replay["payment_id"]))
        payment, counterparty = await _locked_payment(uow, payment_id)
        if payment.voided_on is not None:
            raise RuleViolation("ALREADY_VOIDED", "This payment was already voided.", "paymentId")
        when = day or now.date()
        check_void_date(when, payment.received_on, what="the payment's date")
        live = [
            a
            for a in await uow.receivables.allocations_of_payments([payment_id])
            if a.voided_on is None
        ]
        for allocation in live:
            check_void_date(when, allocation.allocated_on, what="a charge it settled")
        charges = await uow.receivables.charges([a.charge_id for a in live]) if live else {}
        voids, writes = allocation_voids(counterparty, live, charges, when, now)
        entry = ledger.reversal(
            payment.entry_id,
            payment.org_id,
            when,
            "Void of payment" + (f": {payment.reference}" if payment.reference else ""),
            lines_of_payment(counterparty, payment),
            now,
        )
        writes.append(ledger.LedgerWrite(entry, "receivables.payment_voided", {}))
        await uow.receivables.void_payment(payment_id, when, reason, entry.id)
        await ledger.post(uow, principal.user_id, writes, now)
        await uow.receivables.void_allocations(voids, when)
        await uow.receivables.refresh_derived([a.charge_id for a in live], [payment_id])
        await ledger.record_events(
            uow,
            [
                ledger.event(
                    principal.org_id,
                    principal.user_id,
                    action="receivables.payment_voided",
                    subject_type="payment",
                    subject_id=payment_id,
                    at=now,
                    details={"date": when.isoformat(), "freed": len(live), "reason": reason},
                )
            ],
        )
        await uow.commit()
    return PaymentOutcome(replace(payment, voided_on=when, void_reason=reason), [])


async def _stored(uow: UnitOfWork, payment_id: UUID) -> PaymentOutcome:
    found = (await uow.receivables.payments([payment_id])).get(payment_id)
    if found is None:
        raise RuleViolation(
            "NOT_FOUND", "The payment this key recorded no longer exists.", "idempotencyKey"
        )
    made = await uow.receivables.allocations_of_payments([payment_id])
    return PaymentOutcome(found, made, replayed=True)
