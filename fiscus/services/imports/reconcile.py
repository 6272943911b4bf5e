"""Reconciling an account with a bank statement: the statement's closing balance becomes a
balance assertion on the ledger account (re-evaluated on every read, like every assertion);
when the books agree, the account's bank lines up to that day whose entries are posted are
marked cleared. Lines still in draft on or before the day are counted: posting them is
usually what closes a difference."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.ledger import BalanceAssertion
from fiscus.domain.ledger.entries import AMOUNT_SCALE
from fiscus.persistence.models.ledger import LedgerBalanceAssertionRow
from fiscus.services.identity import audit
from fiscus.services.imports.context import Acting, ImportsContext
from fiscus.services.imports.statements import check_import_account


@dataclass(frozen=True, slots=True)
class Reconciliation:
    assertion: BalanceAssertion
    books_balance: Decimal
    difference: Decimal
    """Statement minus books (posted lines)."""
    cleared: int
    unposted_lines: int
    unposted_amount: Decimal
    reconciled_at: datetime


async def reconcile_account(
    ctx: ImportsContext,
    acting: Acting,
    *,
    account_id: UUID,
    statement_date: date,
    statement_balance: Decimal,
) -> Reconciliation:
    if (
        not statement_balance.is_finite()
        or statement_balance.as_tuple().exponent < -AMOUNT_SCALE  # type: ignore[operator]
        or abs(statement_balance) >= Decimal(10) ** 16
    ):
        raise ValidationFailed(
            [
                FieldIssue(
                    "statementBalance",
                    "INVALID",
                    f"An amount with at most {AMOUNT_SCALE} decimal places.",
                )
            ]
        )
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        found = await reads.ledger.accounts_by_ids([account_id])
        account = check_import_account(found[0] if found else None)
        pending = await reads.imports.draft_sum(account.id, statement_date)
        unposted = await reads.imports.unposted_facts(
            account_id=account.id, ids=None, limit=100_000
        )
    unposted_count = sum(1 for f in unposted if f.facts.date <= statement_date)
    now = ctx.clock()
    async with ctx.unit(org_id=acting.org_id, user_id=acting.user_id) as uow:
        await uow.ledger.lock_for_posting([account.id])
        row = await uow.ledger.add_assertion(
            LedgerBalanceAssertionRow(
                org_id=acting.org_id,
                id=uuid.uuid4(),
                account_id=account.id,
                day=statement_date,
                amount=statement_balance,
                currency=account.currency,
                created_by=acting.user_id,
                created_at=now,
            )
        )
        books = await uow.ledger.balance(account.id, account.currency, statement_date)
        holds = books == statement_balance
        cleared = await uow.imports.clear_lines(account.id, statement_date, now) if holds else 0
        await audit.record(
            uow,
            org_id=acting.org_id,
            actor_user_id=acting.user_id,
            action="imports.account_reconciled",
            subject_type="ledger_account",
            subject_id=account.id,
            at=now,
            details={
                "date": statement_date.isoformat(),
                "statement_balance": str(statement_balance),
                "books_balance": str(books),
                "holds": holds,
                "cleared": cleared,
                "unposted_lines": unposted_count,
            },
        )
        await uow.commit()
    return Reconciliation(
        BalanceAssertion(
            row.id, account.id, statement_date, statement_balance, account.currency, books
        ),
        books,
        statement_balance - books,
        cleared,
        unposted_count,
        pending,
        now,
    )
