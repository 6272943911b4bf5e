"""``recordDebtPayment``: one transaction that splits the payment as of its date (interest
charged and unpaid first, then principal; the extra all principal), posts it to the ledger
(credit the payment account; debit the liability by the principal and the interest expense
account by the interest), stores the split, and marks the debt paid off when it is.
Idempotent by key; a payment larger than what is owed is refused (``OVERPAYMENT``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.debts import (
    Debt,
    DebtPaidOff,
    DebtPayment,
    DebtStatus,
    replay,
    split_payment,
)
from fiscus.domain.debts.arithmetic import has_minor_scale
from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import AccountType
from fiscus.persistence.models.debts import DebtPaymentRow
from fiscus.persistence.uow import UnitOfWork
from fiscus.services import idempotency
from fiscus.services.debts.terms import account_of, same_currency
from fiscus.services.identity import audit
from fiscus.services.ledger.posting import LineInput, post_in_unit
from fiscus.services.ledger.rules import clean_text
from fiscus.services.planning import PlanningContext

PAY_SCOPE = "debts.record_payment"


@dataclass(frozen=True, slots=True)
class RecordedPayment:
    payment: DebtPayment
    debt: Debt
    payments: list[DebtPayment]
    """Every payment of the debt, this one included (as committed)."""
    replayed: bool = False


def _checked_amount(value: Decimal, currency: str, field: str, *, zero_ok: bool) -> Decimal:
    if not value.is_finite() or value < 0 or (value == 0 and not zero_ok):
        raise ValidationFailed([FieldIssue(field, "INVALID", "A positive amount is required.")])
    if not has_minor_scale(value, currency):
        raise ValidationFailed(
            [FieldIssue(field, "INVALID", f"Too many decimal places for {currency}.")]
        )
    return value


async def record_debt_payment(
    ctx: PlanningContext,
    principal: Principal,
    debt_id: UUID,
    *,
    paid_on: date,
    amount: Decimal,
    extra: Decimal = Decimal(0),
    from_account_id: UUID,
    idempotency_key: str,
    memo: str | None = None,
) -> RecordedPayment:
    key = idempotency.check_key(idempotency_key)
    memo = clean_text(memo)
    now = ctx.clock()
    payment_id = uuid.uuid4()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        replay_ = await idempotency.once(
            uow,
            scope=PAY_SCOPE,
            key=key,
            request={
                "debt": str(debt_id),
                "date": paid_on.isoformat(),
                "amount": str(amount),
                "extra": str(extra),
                "from": str(from_account_id),
                "memo": memo,
            },
            result={"payment_id": str(payment_id)},
            at=now,
        )
        if replay_ is not None:
            stored, known, before = await _stored(uow, debt_id, UUID(replay_["payment_id"]))
            return RecordedPayment(stored, known, before, replayed=True)
        # The debt's row lock queues concurrent payments of one debt: each splits after the
        # previous one committed.
        debt = await uow.debts.debt(debt_id, for_update=True)
        if debt is None:
            raise NotFound("No such debt.", "debtId")
        if debt.status is not DebtStatus.ACTIVE:
            raise RuleViolation(
                "NOT_ACTIVE", f"The debt is {debt.status.value.replace('_', ' ')}.", "debtId"
            )
        _checked_amount(amount, debt.currency, "amount", zero_ok=bool(extra))
        _checked_amount(extra, debt.currency, "extra", zero_ok=True)
        source = await account_of(
            uow, from_account_id, "fromAccountId", [AccountType.ASSET, AccountType.LIABILITY]
        )
        same_currency(source, debt.currency, "fromAccountId")
        history = await uow.debts.payments(debt_id)
        split = split_payment(debt, history, paid_on=paid_on, amount=amount, extra=extra)
        lines = [LineInput(source.id, -split.total)]
        if split.principal + split.extra:
            lines.append(LineInput(debt.liability_account_id, split.principal + split.extra))
        if split.interest:
            lines.append(LineInput(debt.interest_account_id, split.interest))
        entry = await post_in_unit(
            uow,
            principal,
            entry_date=paid_on,
            memo=memo or f"{debt.name}: payment",
            lines=lines,
            now=now,
            action="debts.payment_posted",
        )
        row = DebtPaymentRow(
            org_id=principal.org_id,
            id=payment_id,
            debt_id=debt_id,
            entry_id=entry.id,
            paid_on=paid_on,
            amount=split.total,
            interest=split.interest,
            principal=split.principal,
            extra=split.extra,
            created_at=now,
        )
        await uow.debts.add_payment(row)
        payment = row.to_domain()
        await audit.record_by(
            uow,
            principal,
            action="debt.payment_recorded",
            subject_type="debt",
            subject_id=debt_id,
            at=now,
            details={
                "payment_id": str(payment_id),
                "entry_id": str(entry.id),
                "date": paid_on.isoformat(),
                "interest": str(split.interest),
                "principal": str(split.principal),
                "extra": str(split.extra),
            },
        )
        state = replay(debt, [*history, payment], paid_on)
        if state.paid_off:
            await _mark_paid_off(uow, principal, debt, DebtPaidOff(debt.id, paid_on), now)
            debt = await uow.debts.debt(debt_id) or debt
        await uow.commit()
    await ctx.posted(principal, [entry])
    return RecordedPayment(payment, debt, [*history, payment])


async def _mark_paid_off(
    uow: UnitOfWork, principal: Principal, debt: Debt, event: DebtPaidOff, now: datetime
) -> None:
    row = await uow.debts.row(debt.id)
    assert row is not None
    row.status = DebtStatus.PAID_OFF.value
    await uow.flush()
    await audit.record_by(
        uow,
        principal,
        action=event.action,
        subject_type="debt",
        subject_id=debt.id,
        at=now,
        details={"name": debt.name, "paid_on": event.paid_on.isoformat()},
    )


async def _stored(
    uow: UnitOfWork, debt_id: UUID, payment_id: UUID
) -> tuple[DebtPayment, Debt, list[DebtPayment]]:
    debt = await uow.debts.debt(debt_id)
    history = await uow.debts.payments(debt_id) if debt else []
    payments = {p.id: p for p in history}
    if debt is None or payment_id not in payments:
        raise RuleViolation(
            "NOT_FOUND", "The payment this key recorded no longer exists.", "idempotencyKey"
        )
    return payments[payment_id], debt, history
