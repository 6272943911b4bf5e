"""Income/expense shortcuts (``ledger:write``), their statistics and receipts
(``ledger:read``: they show entries' details)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry.types import Info

from fiscus.domain.identity import Permission, Principal
from fiscus.domain.ledger.statements import Interval
from fiscus.resolvers.ledger import ids
from fiscus.resolvers.ledger.ids import NIL
from fiscus.schema import income_expense as types
from fiscus.schema import ledger as ledger_types
from fiscus.schema.errors import attempt
from fiscus.schema.permissions import requires
from fiscus.schema.relay import parse_global_id, to_global_id
from fiscus.services.attachments import files
from fiscus.services.income_expense import shortcuts, stats

READ = [requires(Permission.LEDGER_READ)]
WRITE = [requires(Permission.LEDGER_WRITE)]


async def resolve_attachment_node(
    info: Info, principal: Principal, key: UUID
) -> types.Attachment | None:
    if not principal.can(Permission.LEDGER_READ):
        return None
    found = await info.context.loaders.attachments.load(key)
    return types.Attachment.from_domain(found) if found else None


def _shortcut(flow: shortcuts.Flow, input: types.RecordIncomeExpenseInput) -> shortcuts.Shortcut:
    return shortcuts.Shortcut(
        flow=flow,
        title=input.title,
        amount=input.amount,
        category_id=ids.account_id(input.category_id, "categoryId"),
        on=input.date,
        payment_account_id=ids.account_id(input.payment_account_id, "paymentAccountId"),
        idempotency_key=input.idempotency_key,
        tags=ids.tags(input.tags),
        notes=input.notes,
        payee=input.payee,
    )


async def _record(
    info: Info, flow: shortcuts.Flow, input: types.RecordIncomeExpenseInput
) -> types.RecordIncomeExpenseResult:
    principal = await info.context.require_principal()

    async def run() -> ledger_types.JournalEntrySuccess:
        posted = await shortcuts.record(info.context.planning, principal, _shortcut(flow, input))
        return ledger_types.JournalEntrySuccess(
            entry=ledger_types.JournalEntry.from_domain(posted.entry), replayed=posted.replayed
        )

    return await attempt(run)


@strawberry.type
class IncomeExpenseQuery:
    @strawberry.field(
        description="Income and expenses per category and period, averages, change on the "
        "previous period and on a year earlier, savings rate, top payees; all from the "
        "ledger (default currency: the one most categories are kept in).",
        permission_classes=READ,
    )
    async def income_expense_stats(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        interval: Interval = Interval.MONTH,
        currency: str | None = None,
    ) -> types.IncomeExpenseStats:
        principal = await info.context.require_principal()
        found = await stats.income_expense_stats(
            info.context.planning,
            principal,
            from_day=from_,
            to_day=to,
            interval=interval,
            currency=currency,
        )
        return types.IncomeExpenseStats.from_domain(found)

    @strawberry.field(
        description="Receipts of an entry (upload: POST /attachments).", permission_classes=READ
    )
    async def entry_attachments(
        self, info: Info, entry_id: strawberry.ID
    ) -> list[types.Attachment]:
        await info.context.require_principal()
        key = parse_global_id(entry_id, "JournalEntry", field="entryId") or NIL
        found = await info.context.loaders.entry_attachments.load(key)
        return [types.Attachment.from_domain(a) for a in found]


@strawberry.type
class IncomeExpenseMutation:
    @strawberry.mutation(
        description="Money in: credit an INCOME category, debit the payment account.",
        permission_classes=WRITE,
    )
    async def record_income(
        self, info: Info, input: types.RecordIncomeExpenseInput
    ) -> types.RecordIncomeExpenseResult:
        return await _record(info, shortcuts.Flow.INCOME, input)

    @strawberry.mutation(
        description="Money out: debit an EXPENSE category, credit the payment account.",
        permission_classes=WRITE,
    )
    async def record_expense(
        self, info: Info, input: types.RecordIncomeExpenseInput
    ) -> types.RecordIncomeExpenseResult:
        return await _record(info, shortcuts.Flow.EXPENSE, input)

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_attachment(
        self, info: Info, input: types.AttachmentIdInput
    ) -> types.DeleteAttachmentResult:
        principal = await info.context.require_principal()

        async def run() -> types.DeleteAttachmentSuccess:
            key = parse_global_id(input.attachment_id, "Attachment", field="attachmentId")
            gone = await files.delete(info.context.planning, principal, key or NIL)
            return types.DeleteAttachmentSuccess(
                deleted_attachment_id=to_global_id("Attachment", gone)
            )

        return await attempt(run)
