"""Closing and reopening periods (admin: ``ORG_UPDATE``), and balance assertions."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import BalanceAssertion
from fiscus.domain.ledger.entries import AMOUNT_SCALE
from fiscus.domain.marketdata import normalize_currency
from fiscus.persistence.models.ledger import LedgerBalanceAssertionRow
from fiscus.services.identity import audit
from fiscus.services.ledger.context import LedgerContext


async def close_period(ctx: LedgerContext, principal: Principal, *, through: date) -> date:
    """Nothing can be posted or reversed on or before ``through`` any more. Waits for
    postings in flight (they hold the period lock shared)."""
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        await uow.ledger.lock_periods()
        current = await uow.ledger.closed_through()
        if current is not None and through <= current:
            raise RuleViolation(
                "PERIOD_CLOSED",
                f"The books are already closed through {current.isoformat()}.",
                "through",
            )
        await uow.ledger.add_period_event(
            closed_through=through, action="close", user_id=principal.user_id, at=now
        )
        await audit.record_by(
            uow,
            principal,
            action="ledger.period_closed",
            subject_type="organization",
            subject_id=principal.org_id,
            at=now,
            details={"through": through.isoformat(), "previous": _iso(current)},
        )
        await uow.commit()
    return through


async def reopen_period(ctx: LedgerContext, principal: Principal, *, from_day: date) -> date | None:
    """Reopens every day from ``from_day`` on; answers the new closed-through date."""
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        await uow.ledger.lock_periods()
        current = await uow.ledger.closed_through()
        if current is None or from_day > current:
            raise RuleViolation("INVALID", "That day is not in a closed period.", "from")
        new = from_day - timedelta(days=1)
        await uow.ledger.add_period_event(
            closed_through=new, action="reopen", user_id=principal.user_id, at=now
        )
        await audit.record_by(
            uow,
            principal,
            action="ledger.period_reopened",
            subject_type="organization",
            subject_id=principal.org_id,
            at=now,
            details={"from": from_day.isoformat(), "previous": _iso(current)},
        )
        await uow.commit()
    return new


async def assert_balance(
    ctx: LedgerContext,
    principal: Principal,
    *,
    account_id: UUID,
    day: date,
    amount: Decimal,
    currency: str,
) -> BalanceAssertion:
    """Stores "the account's signed balance (debit > 0) at the end of ``day`` is
    ``amount``"; answered with the balance found. Failing ones are listed by
    ``failing_assertions`` and re-evaluated on every read (back-dated postings count)."""
    checked_currency = normalize_currency(currency)
    if not amount.is_finite() or amount.as_tuple().exponent < -AMOUNT_SCALE:  # type: ignore[operator]
        raise ValidationFailed(
            [FieldIssue("amount", "INVALID", f"At most {AMOUNT_SCALE} decimal places.")]
        )
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        account = await uow.ledger.account(account_id)
        if account is None:
            raise NotFound("No such account.", field="accountId")
        if account.currency != checked_currency:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "currency",
                        "CURRENCY_MISMATCH",
                        f"Account {account.code} is kept in {account.currency}.",
                    )
                ]
            )
        row = await uow.ledger.add_assertion(
            LedgerBalanceAssertionRow(
                org_id=principal.org_id,
                id=uuid.uuid4(),
                account_id=account_id,
                day=day,
                amount=amount,
                currency=checked_currency,
                created_by=principal.user_id,
                created_at=now,
            )
        )
        actual = await uow.ledger.balance(account_id, checked_currency, day)
        await audit.record_by(
            uow,
            principal,
            action="ledger.balance_asserted",
            subject_type="ledger_account",
            subject_id=account_id,
            at=now,
            details={
                "day": day.isoformat(),
                "amount": str(amount),
                "currency": checked_currency,
                "holds": actual == amount,
            },
        )
        await uow.commit()
    return BalanceAssertion(row.id, account_id, day, amount, checked_currency, actual)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
