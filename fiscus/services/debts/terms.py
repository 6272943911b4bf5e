"""Creating debts, rate changes, closing: each one transaction, audit-logged. A debt's
opening balance can be posted to its liability account at creation (against an offset
account: the asset bought, or opening balances), idempotent by key."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from uuid import UUID

from fiscus.domain.debts import (
    Debt,
    DebtStatus,
    DebtTermsInput,
    RateChange,
    check_rate,
    checked_terms,
)
from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import Account, AccountType
from fiscus.domain.marketdata import normalize_currency
from fiscus.persistence.models.debts import DebtRow
from fiscus.persistence.uow import UnitOfWork
from fiscus.services import idempotency
from fiscus.services.identity import audit
from fiscus.services.ledger.posting import LineInput, post_in_unit
from fiscus.services.planning import PlanningContext

OPEN_SCOPE = "debts.open"


@dataclass(frozen=True, slots=True)
class Opening:
    """Post the opening balance: credit the liability, debit ``offset_account_id``."""

    offset_account_id: UUID
    idempotency_key: str


async def account_of(
    uow: UnitOfWork, account_id: UUID, field: str, wanted: Sequence[AccountType]
) -> Account:
    """An account of the caller's organization, of one of the wanted types."""
    row = await uow.ledger.account(account_id)
    if row is None:
        raise ValidationFailed([FieldIssue(field, "NOT_FOUND", "No such account.")])
    account = row.to_domain()
    if account.type not in wanted:
        names = " or ".join(t.value for t in wanted)
        raise ValidationFailed(
            [FieldIssue(field, "WRONG_ACCOUNT_TYPE", f"Account {account.code} is not {names}.")]
        )
    if account.archived:
        raise ValidationFailed(
            [FieldIssue(field, "ACCOUNT_ARCHIVED", f"Account {account.code} is archived.")]
        )
    return account


def same_currency(account: Account, currency: str, field: str) -> None:
    if account.currency != currency:
        raise ValidationFailed(
            [
                FieldIssue(
                    field,
                    "CURRENCY_MISMATCH",
                    f"Account {account.code} is kept in {account.currency}, not {currency}.",
                )
            ]
        )


async def create_debt(
    ctx: PlanningContext,
    principal: Principal,
    terms: DebtTermsInput,
    *,
    liability_account_id: UUID,
    interest_account_id: UUID,
    opening: Opening | None = None,
) -> Debt:
    currency = normalize_currency(terms.currency)
    terms = checked_terms(
        replace(terms, currency=currency, accrual=terms.accrual or terms.kind.default_accrual)
    )
    key = idempotency.check_key(opening.idempotency_key) if opening else None
    now = ctx.clock()
    debt_id = uuid.uuid4()
    entry = None
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        if opening is not None and key is not None:
            replay = await idempotency.once(
                uow,
                scope=OPEN_SCOPE,
                key=key,
                request={
                    "terms": repr(terms),
                    "liability": str(liability_account_id),
                    "interest": str(interest_account_id),
                    "offset": str(opening.offset_account_id),
                },
                result={"debt_id": str(debt_id)},
                at=now,
            )
            if replay is not None:
                found = await uow.debts.debt(UUID(replay["debt_id"]))
                if found is None:
                    raise NotFound("The debt this key created no longer exists.", "idempotencyKey")
                return found
        liability = await account_of(
            uow, liability_account_id, "liabilityAccountId", [AccountType.LIABILITY]
        )
        interest = await account_of(
            uow, interest_account_id, "interestAccountId", [AccountType.EXPENSE]
        )
        same_currency(liability, currency, "liabilityAccountId")
        same_currency(interest, currency, "interestAccountId")
        assert terms.accrual is not None
        rule = terms.rule
        row = DebtRow(
            org_id=principal.org_id,
            id=debt_id,
            name=" ".join(terms.name.split()),
            kind=terms.kind.value,
            lender=" ".join(terms.lender.split()) if terms.lender else None,
            currency=currency,
            opening_balance=terms.opening_balance,
            annual_rate_percent=terms.annual_rate_percent,
            accrual=terms.accrual.value,
            rule_kind=rule.kind.value,
            term_months=rule.term_months,
            rule_amount=rule.amount,
            rule_percent=rule.percent,
            rule_floor=rule.floor,
            payment_day=terms.payment_day,
            start_date=terms.start_date,
            rate_policy=terms.rate_policy.value,
            liability_account_id=liability.id,
            interest_account_id=interest.id,
            status=DebtStatus.ACTIVE.value,
            created_by=principal.user_id,
            created_at=now,
        )
        await uow.debts.add(row, terms.rate_changes)
        details = {
            "name": row.name,
            "kind": row.kind,
            "opening_balance": str(terms.opening_balance),
            "currency": currency,
        }
        if opening is not None:
            offset = await account_of(
                uow,
                opening.offset_account_id,
                "openingOffsetAccountId",
                [AccountType.ASSET, AccountType.EQUITY, AccountType.EXPENSE],
            )
            same_currency(offset, currency, "openingOffsetAccountId")
            entry = await post_in_unit(
                uow,
                principal,
                entry_date=terms.start_date,
                memo=f"{row.name}: opening balance",
                lines=[
                    LineInput(offset.id, terms.opening_balance),
                    LineInput(liability.id, -terms.opening_balance),
                ],
                now=now,
                action="debts.opening_posted",
            )
            details["opening_entry_id"] = str(entry.id)
        await audit.record_by(
            uow,
            principal,
            action="debt.created",
            subject_type="debt",
            subject_id=debt_id,
            at=now,
            details=details,
        )
        await uow.commit()
    if entry is not None:
        await ctx.posted(principal, [entry])
    return row.to_domain(terms.rate_changes)


async def set_rate_change(
    ctx: PlanningContext, principal: Principal, debt_id: UUID, change: RateChange
) -> Debt:
    """Adds (or replaces) the rate from a date on; the debt's policy says what it does."""
    issues = check_rate(change.annual_rate_percent, "annualRatePercent")
    if issues:
        raise ValidationFailed(issues)
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        debt = await _debt(uow, debt_id, for_update=True)
        if change.effective_from <= debt.start_date:
            raise ValidationFailed(
                [FieldIssue("from", "INVALID", "A rate change starts after the start date.")]
            )
        await uow.debts.set_rate_change(debt_id, change)
        await audit.record_by(
            uow,
            principal,
            action="debt.rate_changed",
            subject_type="debt",
            subject_id=debt_id,
            at=now,
            details={
                "from": change.effective_from.isoformat(),
                "annual_rate_percent": str(change.annual_rate_percent),
            },
        )
        updated = await uow.debts.debt(debt_id)
        await uow.commit()
    assert updated is not None
    return updated


async def close_debt(ctx: PlanningContext, principal: Principal, debt_id: UUID) -> Debt:
    """Stops tracking a debt (refinanced, forgiven, sold): no more payments or notices."""
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await uow.debts.row(debt_id, for_update=True)
        if row is None:
            raise NotFound("No such debt.", "debtId")
        if row.status == DebtStatus.CLOSED.value:
            raise RuleViolation("NOT_ACTIVE", "The debt is already closed.", "debtId")
        row.status = DebtStatus.CLOSED.value
        await uow.flush()
        await audit.record_by(
            uow,
            principal,
            action="debt.closed",
            subject_type="debt",
            subject_id=debt_id,
            at=now,
            details={"name": row.name},
        )
        debt = row.to_domain(await uow.debts.rate_changes(debt_id))
        await uow.commit()
    return debt


async def _debt(uow: UnitOfWork, debt_id: UUID, *, for_update: bool = False) -> Debt:
    found = await uow.debts.debt(debt_id, for_update=for_update)
    if found is None:
        raise NotFound("No such debt.", "debtId")
    return found
