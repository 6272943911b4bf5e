"""Property expenses paid to a vendor for a building (or one of its units): one balanced
entry, debit the expense account (the category) and credit the account it was paid from,
both lines tagged with the building and unit and carrying the vendor. So a building's
expenses, and its cash flow, come from the ledger. (``recordPropertyExpense``; the generic
income/expense shortcut ``recordExpense`` belongs to the ledger's shortcuts.)"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import AccountType, JournalLine
from fiscus.domain.receivables import (
    MAX_DESCRIPTION,
    CounterpartyKind,
    check_amount,
    clean_text,
)
from fiscus.persistence.models.properties import PropertyExpenseRow
from fiscus.services import idempotency
from fiscus.services.properties.buildings import audit
from fiscus.services.properties.leases import dimensions_of
from fiscus.services.receivables import accounts, ledger
from fiscus.services.receivables.context import ReceivablesContext

SCOPE = "properties.record_expense"
_PAID_FROM = [AccountType.ASSET, AccountType.LIABILITY]


@dataclass(frozen=True, slots=True)
class ExpenseInput:
    vendor_id: UUID
    building_id: UUID
    amount: Decimal
    spent_on: date
    category_account_id: UUID
    payment_account_id: UUID
    unit_id: UUID | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class PropertyExpense:
    id: UUID
    vendor_id: UUID
    building_id: UUID
    unit_id: UUID | None
    amount: Decimal
    currency: str
    spent_on: date
    category_account_id: UUID
    payment_account_id: UUID
    description: str | None
    entry_id: UUID
    replayed: bool = False


def expense_of(row: PropertyExpenseRow) -> PropertyExpense:
    return PropertyExpense(
        row.id,
        row.vendor_id,
        row.building_id,
        row.unit_id,
        row.amount,
        row.currency.strip(),
        row.spent_on,
        row.account_id,
        row.payment_account_id,
        row.description,
        row.entry_id,
    )


async def record_property_expense(
    ctx: ReceivablesContext, principal: Principal, given: ExpenseInput, *, idempotency_key: str
) -> PropertyExpense:
    key = idempotency.check_key(idempotency_key)
    description = clean_text(
        given.description, field_name="description", max_length=MAX_DESCRIPTION
    )
    now = ctx.clock()
    expense_id = uuid.uuid4()
    request = {
        "vendor": str(given.vendor_id),
        "building": str(given.building_id),
        "unit": str(given.unit_id) if given.unit_id else None,
        "amount": str(given.amount.normalize()) if given.amount.is_finite() else "nan",
        "date": given.spent_on.isoformat(),
        "category": str(given.category_account_id),
        "paid_from": str(given.payment_account_id),
        "description": description,
    }
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        replay = await idempotency.once(
            uow,
            scope=SCOPE,
            key=key,
            request=request,
            result={"expense_id": str(expense_id)},
            at=now,
        )
        if replay is not None:
            stored = await uow.properties.expense_row(UUID(replay["expense_id"]))
            if stored is None:
                raise RuleViolation("NOT_FOUND", "That expense is gone.", "idempotencyKey")
            return replace(expense_of(stored), replayed=True)
        vendor = (await uow.receivables.lock([given.vendor_id])).get(given.vendor_id)
        if vendor is None:
            raise NotFound("No such vendor.", field="vendorId")
        if vendor.kind is not CounterpartyKind.VENDOR:
            raise ValidationFailed([FieldIssue("vendorId", "INVALID", "Not a vendor.")])
        building = await uow.properties.building_row(given.building_id)
        if building is None:
            raise NotFound("No such building.", field="buildingId")
        if given.unit_id is not None:
            unit = await uow.properties.unit_row(given.unit_id)
            if unit is None or unit.building_id != building.id:
                raise NotFound("No such unit in this building.", field="unitId")
        currency = building.currency.strip()
        if vendor.currency != currency:
            raise RuleViolation(
                "CURRENCY_MISMATCH", f"The building is kept in {currency}.", "vendorId"
            )
        amount = check_amount(given.amount, currency)
        found = await uow.receivables.accounts(
            [given.category_account_id, given.payment_account_id]
        )
        accounts.check_account(
            found,
            given.category_account_id,
            field_name="category",
            currency=currency,
            types=[AccountType.EXPENSE],
        )
        accounts.check_account(
            found,
            given.payment_account_id,
            field_name="paymentAccount",
            currency=currency,
            types=_PAID_FROM,
        )
        dims = (
            dimensions_of(building.id, given.unit_id)
            if given.unit_id
            else {"building": str(building.id)}
        )
        lines = [
            JournalLine(
                given.category_account_id, amount, currency, dims, vendor.ledger_tag, description
            ),
            JournalLine(
                given.payment_account_id, -amount, currency, dims, vendor.ledger_tag, description
            ),
        ]
        entry = ledger.new_entry(
            principal.org_id,
            given.spent_on,
            f"{vendor.name}: {description or 'property expense'}",
            lines,
            now,
        )
        await ledger.post(
            uow,
            principal.user_id,
            [
                ledger.LedgerWrite(
                    entry, "properties.expense_posted", {0: "category", 1: "paymentAccount"}
                )
            ],
            now,
        )
        await uow.properties.add(
            PropertyExpenseRow(
                org_id=principal.org_id,
                id=expense_id,
                vendor_id=vendor.id,
                building_id=building.id,
                unit_id=given.unit_id,
                amount=amount,
                currency=currency,
                spent_on=given.spent_on,
                account_id=given.category_account_id,
                payment_account_id=given.payment_account_id,
                description=description,
                entry_id=entry.id,
                created_at=now,
                created_by=principal.user_id,
            )
        )
        await audit(
            uow,
            principal,
            now,
            "properties.expense_recorded",
            "property_expense",
            expense_id,
            {"building": str(building.id), "vendor": str(vendor.id), "amount": str(amount)},
        )
        await uow.commit()
    return PropertyExpense(
        expense_id,
        vendor.id,
        building.id,
        given.unit_id,
        amount,
        currency,
        given.spent_on,
        given.category_account_id,
        given.payment_account_id,
        description,
        entry.id,
    )
