"""GraphQL types of bank lines: one line of a statement, once, however often imported, with
its cleaned payee, its category and where it came from, and its draft or posted entry."""

from __future__ import annotations

import datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from fiscus.domain.imports import records
from fiscus.domain.imports.records import CategorySource
from fiscus.schema.ledger import Account, JournalEntry, Tag, _tags
from fiscus.schema.relay import Node, parse_global_id, to_global_id


@strawberry.type(description="A category a learned model proposes, with its confidence.")
class SuggestedCategory:
    account_id: strawberry.ID
    confidence: float

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        key = parse_global_id(self.account_id, "Account", field="accountId")
        found = await info.context.loaders.ledger_accounts.load(key) if key else None
        return Account.from_domain(found) if found else None


@strawberry.type(description="One line of a bank statement, once, however often it was imported.")
class BankLine(Node):
    id: strawberry.ID
    account_id: strawberry.ID
    import_id: strawberry.ID
    date: datetime.date
    posted_date: datetime.date | None
    amount: Decimal = strawberry.field(description="Signed: money into the account > 0.")
    currency: str
    description: str = strawberry.field(description="The bank's text, as written.")
    payee: str = strawberry.field(description="The cleaned payee.")
    memo: str | None
    external_id: str | None
    kind: str | None
    bank_category: str | None
    check_number: str | None
    card: str | None
    pending: bool
    balance: Decimal | None
    category_source: CategorySource
    category_account_id: strawberry.ID | None
    rule_id: strawberry.ID | None
    suggestion: SuggestedCategory | None
    counterparty: str | None
    dimensions: list[Tag]
    tags: list[str]
    removed: bool
    cleared_at: datetime.datetime | None
    entry_status: str | None = strawberry.field(
        description="draft or posted; null once the draft was deleted."
    )
    source: strawberry.Private[records.BankLine]

    @classmethod
    def from_domain(cls, line: records.BankLine) -> BankLine:
        return cls(
            id=to_global_id("BankLine", line.id),
            account_id=to_global_id("Account", line.account_id),
            import_id=to_global_id("BankImport", line.import_id),
            date=line.date,
            posted_date=line.posted_date,
            amount=line.amount,
            currency=line.currency,
            description=line.description,
            payee=line.payee,
            memo=line.memo,
            external_id=line.external_id,
            kind=line.kind,
            bank_category=line.bank_category,
            check_number=line.check_number,
            card=line.card,
            pending=line.pending,
            balance=line.balance,
            category_source=line.category_source,
            category_account_id=to_global_id("Account", line.category_account_id)
            if line.category_account_id
            else None,
            rule_id=to_global_id("CategorizationRule", line.rule_id) if line.rule_id else None,
            suggestion=SuggestedCategory(
                account_id=to_global_id("Account", line.suggested_account_id),
                confidence=float(line.confidence or 0),
            )
            if line.suggested_account_id
            else None,
            counterparty=line.counterparty,
            dimensions=_tags(line.dimensions),
            tags=list(line.tags),
            removed=line.removed,
            cleared_at=line.cleared_at,
            entry_status=line.entry_status,
            source=line,
        )

    @strawberry.field(description="The category account of its entry.")
    async def category(self, info: Info) -> Account | None:
        if self.source.category_account_id is None:
            return None
        found = await info.context.loaders.ledger_accounts.load(self.source.category_account_id)
        return Account.from_domain(found) if found else None

    @strawberry.field(description="Its journal entry (a draft until reviewed and posted).")
    async def entry(self, info: Info) -> JournalEntry | None:
        if self.source.entry_id is None:
            return None
        found = await info.context.loaders.journal_entries.load(self.source.entry_id)
        return JournalEntry.from_domain(found) if found else None
