"""``recordIncome`` / ``recordExpense``: one balanced entry between a category (an INCOME or
EXPENSE account) and a payment account (an asset, or a liability such as a card), posted
through the ledger's one-statement posting with an idempotency key. Tags become the
category line's dimensions; notes its memo; the payee its counterparty."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import AccountType
from fiscus.services.ledger import batch
from fiscus.services.ledger.posting import LineInput, Posted
from fiscus.services.ledger.rules import clean_text
from fiscus.services.planning import PlanningContext


class Flow(enum.StrEnum):
    INCOME = "income"
    EXPENSE = "expense"


@dataclass(frozen=True, slots=True)
class Shortcut:
    flow: Flow
    title: str
    amount: Decimal
    category_id: UUID
    on: date
    payment_account_id: UUID
    idempotency_key: str
    tags: Mapping[str, str]
    notes: str | None = None
    payee: str | None = None


_FIELDS = {"lines[0].accountId": "categoryId", "lines[1].accountId": "paymentAccountId"}


def _field(_: int, name: str) -> str:
    """The posting's field names in the shortcut's input."""
    if name in _FIELDS:
        return _FIELDS[name]
    if name.startswith("lines[0].dimensions"):
        return "tags" + name[len("lines[0].dimensions") :]
    if name.startswith("lines[0].memo"):
        return "notes"
    if name.startswith("lines[") and ".amount" in name:
        return "amount"
    if name.startswith("lines[") and ".counterparty" in name:
        return "payee"
    if name in ("memo",):
        return "title"
    return name


async def record(ctx: PlanningContext, principal: Principal, shortcut: Shortcut) -> Posted:
    title = clean_text(shortcut.title)
    issues: list[FieldIssue] = []
    if not title:
        issues.append(FieldIssue("title", "REQUIRED", "A title is required."))
    if not shortcut.amount.is_finite() or shortcut.amount <= 0:
        issues.append(FieldIssue("amount", "INVALID", "A positive amount is required."))
    if issues:
        raise ValidationFailed(issues)
    wanted = AccountType.INCOME if shortcut.flow is Flow.INCOME else AccountType.EXPENSE
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        found = {
            a.id: a
            for a in await reads.ledger.accounts_by_ids(
                [shortcut.category_id, shortcut.payment_account_id]
            )
        }
    category = found.get(shortcut.category_id)
    payment = found.get(shortcut.payment_account_id)
    if category is not None and category.type is not wanted:
        issues.append(
            FieldIssue(
                "categoryId",
                "WRONG_ACCOUNT_TYPE",
                f"Account {category.code} is not an {wanted.value} account.",
            )
        )
    if payment is not None and payment.type not in (AccountType.ASSET, AccountType.LIABILITY):
        issues.append(
            FieldIssue(
                "paymentAccountId",
                "WRONG_ACCOUNT_TYPE",
                f"Account {payment.code} is neither an asset nor a liability.",
            )
        )
    if issues:
        raise ValidationFailed(issues)
    amount = shortcut.amount if shortcut.flow is Flow.EXPENSE else -shortcut.amount
    lines = [
        LineInput(
            shortcut.category_id,
            amount,
            dimensions=dict(shortcut.tags),
            counterparty=shortcut.payee,
            memo=shortcut.notes,
        ),
        LineInput(shortcut.payment_account_id, -amount, counterparty=shortcut.payee),
    ]
    entry = batch.NewEntry(
        shortcut.on,
        title,
        lines,
        shortcut.idempotency_key,
        scope=f"income_expense.{shortcut.flow.value}",
        action=f"ledger.{shortcut.flow.value}_recorded",
    )
    posted = await batch.post_journal_entries(ctx, principal, [entry], field_name=_field)
    return posted[0]
