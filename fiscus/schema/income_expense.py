"""GraphQL types of the income/expense shortcuts, their statistics and receipts
(``Attachment``, a Relay node of the caller's organization)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from fiscus.domain import income_expense as domain
from fiscus.domain.attachments import Attachment as DomainAttachment
from fiscus.domain.ledger import AccountType
from fiscus.domain.ledger.statements import Interval
from fiscus.schema.errors import ConflictError, NotFoundError, RuleViolationError, ValidationError
from fiscus.schema.ledger import JournalEntrySuccess, TagInput
from fiscus.schema.relay import Node, to_global_id
from fiscus.services.attachments import files


@strawberry.type
class PeriodIncomeExpense:
    start: date
    end: date
    label: str
    income: Decimal
    expenses: Decimal
    net: Decimal
    savings_rate_percent: Decimal | None
    income_change_percent: Decimal | None = strawberry.field(description="On the previous period.")
    expenses_change_percent: Decimal | None
    income_year_change_percent: Decimal | None = strawberry.field(
        description="On the same period a year earlier."
    )
    expenses_year_change_percent: Decimal | None


@strawberry.type
class CategoryIncomeExpense:
    account_id: strawberry.ID
    type: AccountType
    amounts: list[Decimal] = strawberry.field(description="One per period.")
    total: Decimal
    average: Decimal
    change_percent: Decimal | None = strawberry.field(
        description="The last period on the one before."
    )
    year_change_percent: Decimal | None = strawberry.field(
        description="The whole range on the same range a year earlier."
    )


@strawberry.type
class Payee:
    name: str
    total: Decimal
    count: int


@strawberry.type
class IncomeExpenseStats:
    currency: str
    interval: Interval
    periods: list[PeriodIncomeExpense]
    categories: list[CategoryIncomeExpense]
    top_payees: list[Payee]

    @classmethod
    def from_domain(cls, s: domain.IncomeExpenseStats) -> IncomeExpenseStats:
        return cls(
            currency=s.currency,
            interval=s.interval,
            periods=[
                PeriodIncomeExpense(
                    start=p.period.start,
                    end=p.period.end,
                    label=p.label,
                    income=p.income,
                    expenses=p.expenses,
                    net=p.net,
                    savings_rate_percent=p.savings_rate,
                    income_change_percent=p.income_change,
                    expenses_change_percent=p.expenses_change,
                    income_year_change_percent=p.income_year_change,
                    expenses_year_change_percent=p.expenses_year_change,
                )
                for p in s.periods
            ],
            categories=[
                CategoryIncomeExpense(
                    account_id=to_global_id("Account", c.account_id),
                    type=c.kind,
                    amounts=list(c.amounts),
                    total=c.total,
                    average=c.average,
                    change_percent=c.change,
                    year_change_percent=c.year_change,
                )
                for c in s.categories
            ],
            top_payees=[Payee(name=p.name, total=p.total, count=p.count) for p in s.top_payees],
        )


@strawberry.type
class Attachment(Node):
    id: strawberry.ID
    entry_id: strawberry.ID
    filename: str
    media_type: str
    byte_size: int
    sha256: str
    created_at: datetime | None
    source: strawberry.Private[DomainAttachment]

    @classmethod
    def from_domain(cls, a: DomainAttachment) -> Attachment:
        return cls(
            id=to_global_id("Attachment", a.id),
            entry_id=to_global_id("JournalEntry", a.entry_id),
            filename=a.filename,
            media_type=a.media_type,
            byte_size=a.byte_size,
            sha256=a.sha256,
            created_at=a.created_at,
            source=a,
        )

    @strawberry.field(
        description="`GET` it within 5 minutes with your access token (`Authorization: Bearer`)."
    )
    async def download_url(self, info: Info) -> str:
        principal = await info.context.require_principal()
        ctx = info.context.planning
        token, _ = files.create_link(
            files.link_key(ctx.settings), principal, self.source.id, ctx.clock()
        )
        return f"/attachments/{token}"


# -- inputs and results ----------------------------------------------------------------------


@strawberry.input
class RecordIncomeExpenseInput:
    title: str
    amount: Decimal = strawberry.field(description="Positive.")
    category_id: strawberry.ID = strawberry.field(
        description="An INCOME account (recordIncome) or an EXPENSE account (recordExpense)."
    )
    date: date
    payment_account_id: strawberry.ID = strawberry.field(
        description="The asset (or liability, e.g. a card) the money moves through."
    )
    tags: list[TagInput] | None = None
    notes: str | None = None
    payee: str | None = None
    idempotency_key: str


@strawberry.input
class AttachmentIdInput:
    attachment_id: strawberry.ID


@strawberry.type
class DeleteAttachmentSuccess:
    deleted_attachment_id: strawberry.ID


def _union(name: str, success: Any) -> Any:
    return Annotated[
        success | ValidationError | NotFoundError | RuleViolationError | ConflictError,
        strawberry.union(name),
    ]


RecordIncomeExpenseResult = _union("RecordIncomeExpenseResult", JournalEntrySuccess)
DeleteAttachmentResult = _union("DeleteAttachmentResult", DeleteAttachmentSuccess)
