"""GraphQL types of the ledger's books. ``Account`` and ``JournalEntry`` are Relay nodes of
the caller's organization only; amounts are signed Decimals (debit > 0) as strings. Entry
details (lines) need ``LEDGER_READ``; nested objects come through the request's loaders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from fiscus.domain import ledger as domain
from fiscus.domain.identity import Permission
from fiscus.persistence.reads.ledger import PeriodBalance as DomainPeriodBalance
from fiscus.schema.errors import (
    ConflictError,
    NotFoundError,
    RuleViolationError,
    ValidationError,
)
from fiscus.schema.permissions import requires
from fiscus.schema.relay import Node, to_global_id
from fiscus.services.ledger.actuals import ActualsKind

strawberry.enum(domain.AccountType, name="AccountType")
strawberry.enum(domain.EntryStatus, name="EntryStatus")

READ = [requires(Permission.LEDGER_READ)]


@strawberry.type(description="A dimension tag (`property: elm-street`).")
class Tag:
    key: str
    value: str


def _tags(tags: object) -> list[Tag]:
    return [Tag(key=k, value=v) for k, v in sorted(dict(tags).items())]  # type: ignore[call-overload]


@strawberry.type
class Account(Node):
    id: strawberry.ID
    code: str
    name: str
    type: domain.AccountType
    currency: str
    archived: bool
    parent_id: strawberry.ID | None
    tags: list[Tag]
    source: strawberry.Private[domain.Account]

    @classmethod
    def from_domain(cls, account: domain.Account) -> Account:
        return cls(
            id=to_global_id("Account", account.id),
            code=account.code,
            name=account.name,
            type=account.type,
            currency=account.currency,
            archived=account.archived,
            parent_id=to_global_id("Account", account.parent_id) if account.parent_id else None,
            tags=_tags(account.tags),
            source=account,
        )

    @strawberry.field(
        description="Signed balance (debit > 0) at the end of `asOf` (default: today), "
        "from the derived daily summary.",
        permission_classes=READ,
    )
    async def balance(self, info: Info, as_of: date | None = None) -> Decimal:
        day = as_of or date.today()
        found: Decimal = await info.context.loaders.account_balances.load((self.source.id, day))
        return found


@strawberry.type
class JournalLine:
    account_id: strawberry.ID
    amount: Decimal
    currency: str
    rate: Decimal | None
    dimensions: list[Tag]
    counterparty: str | None
    memo: str | None
    source: strawberry.Private[domain.JournalLine]

    @classmethod
    def from_domain(cls, line: domain.JournalLine) -> JournalLine:
        return cls(
            account_id=to_global_id("Account", line.account_id),
            amount=line.amount,
            currency=line.currency,
            rate=line.rate,
            dimensions=_tags(line.dimensions),
            counterparty=line.counterparty,
            memo=line.memo,
            source=line,
        )

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        found = await info.context.loaders.ledger_accounts.load(self.source.account_id)
        return Account.from_domain(found) if found else None


@strawberry.type
class JournalEntry(Node):
    id: strawberry.ID
    date: date
    memo: str | None
    status: domain.EntryStatus
    reverses_id: strawberry.ID | None
    posted_at: datetime | None
    source: strawberry.Private[domain.JournalEntry]

    @classmethod
    def from_domain(cls, entry: domain.JournalEntry) -> JournalEntry:
        return cls(
            id=to_global_id("JournalEntry", entry.id),
            date=entry.entry_date,
            memo=entry.memo,
            status=entry.status,
            reverses_id=to_global_id("JournalEntry", entry.reverses) if entry.reverses else None,
            posted_at=entry.posted_at,
            source=entry,
        )

    @strawberry.field(permission_classes=READ)
    async def lines(self, info: Info) -> list[JournalLine]:
        # Drafts and entries a mutation just wrote carry their lines (a request's read
        # snapshot may predate the mutation's commit); listed entries load theirs.
        if self.source.lines or self.source.status is domain.EntryStatus.DRAFT:
            lines = list(self.source.lines)
        else:
            lines = await info.context.loaders.entry_lines.load(self.source.id)
        return [JournalLine.from_domain(line) for line in lines]


@strawberry.type
class BalanceAssertion:
    id: strawberry.ID
    account_id: strawberry.ID
    date: date
    amount: Decimal
    currency: str
    actual: Decimal | None
    holds: bool | None

    @classmethod
    def from_domain(cls, a: domain.BalanceAssertion) -> BalanceAssertion:
        return cls(
            id=to_global_id("BalanceAssertion", a.id),
            account_id=to_global_id("Account", a.account_id),
            date=a.day,
            amount=a.amount,
            currency=a.currency,
            actual=a.actual,
            holds=a.holds,
        )


@strawberry.type
class AccountPeriodBalance:
    account_id: strawberry.ID
    currency: str
    dimension_value: str | None
    opening: Decimal
    movement: Decimal
    closing: Decimal

    @classmethod
    def from_domain(cls, b: DomainPeriodBalance) -> AccountPeriodBalance:
        return cls(
            account_id=to_global_id("Account", b.account_id),
            currency=b.currency,
            dimension_value=b.dimension_value,
            opening=b.opening,
            movement=b.movement,
            closing=b.closing,
        )


# Inputs.


@strawberry.input
class TagInput:
    key: str
    value: str


@strawberry.input
class PeriodInput:
    from_: date = strawberry.field(name="from")
    to: date


@strawberry.input
class JournalLineInput:
    account_id: strawberry.ID
    amount: Decimal = strawberry.field(description="Signed: debit > 0, credit < 0.")
    currency: str | None = None
    rate: Decimal | None = None
    dimensions: list[TagInput] | None = None
    counterparty: str | None = None
    memo: str | None = None


@strawberry.input
class PostJournalEntryInput:
    date: date
    memo: str | None = None
    lines: list[JournalLineInput]
    idempotency_key: str
    draft: bool = False


@strawberry.input
class UpdateDraftEntryInput:
    entry_id: strawberry.ID
    date: date | None = None
    memo: str | None = None
    lines: list[JournalLineInput] | None = None


@strawberry.input
class PostDraftEntryInput:
    entry_id: strawberry.ID
    idempotency_key: str


@strawberry.input
class ReverseEntryInput:
    entry_id: strawberry.ID
    idempotency_key: str
    date: date | None = None
    memo: str | None = None


@strawberry.input
class CreateAccountInput:
    code: str
    name: str
    type: domain.AccountType
    currency: str
    parent_id: strawberry.ID | None = None
    tags: list[TagInput] | None = None


@strawberry.input
class UpdateAccountInput:
    account_id: strawberry.ID
    code: str | None = None
    name: str | None = None
    parent_id: strawberry.ID | None = None
    clear_parent: bool = False
    tags: list[TagInput] | None = None


@strawberry.input
class AccountIdInput:
    account_id: strawberry.ID


@strawberry.input
class ApplyAccountTemplateInput:
    template: str = strawberry.field(
        description="household, small_business or property_management."
    )
    currency: str


@strawberry.input
class ClosePeriodInput:
    through: date


@strawberry.input
class ReopenPeriodInput:
    from_: date = strawberry.field(name="from")


@strawberry.input
class AssertBalanceInput:
    account_id: strawberry.ID
    date: date
    amount: Decimal = strawberry.field(description="Signed balance (debit > 0) at day's end.")
    currency: str


# Results.


@strawberry.type
class AccountSuccess:
    account: Account


@strawberry.type
class ChartSuccess:
    accounts: list[Account]


@strawberry.type
class DeleteAccountSuccess:
    deleted_account_id: strawberry.ID


@strawberry.type
class JournalEntrySuccess:
    entry: JournalEntry
    replayed: bool = strawberry.field(
        description="True when an earlier request with this idempotency key did the work."
    )


@strawberry.type
class PeriodSuccess:
    closed_through: date | None


@strawberry.type
class AssertBalanceSuccess:
    assertion: BalanceAssertion


strawberry.enum(
    ActualsKind,
    name="ActualsKind",
    description="BALANCES: each row is the account's signed balance at the period's end; "
    "MOVEMENTS: each row is the period's signed movement (debit > 0).",
)


@strawberry.input
class ImportActualsCsvInput:
    csv: str = strawberry.field(
        description="Header + rows: period (YYYY-MM or YYYY-MM-DD), account (code), amount, "
        "optional currency."
    )
    offset_account_id: strawberry.ID
    kind: ActualsKind
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Names this file across edits: a re-import whose period changed is refused "
        "(IDEMPOTENCY_KEY_REUSED). Default: the file's fingerprint.",
    )


@strawberry.type
class ImportActualsSuccess:
    entries: list[JournalEntry] = strawberry.field(
        description="One entry per period that moved, in period order."
    )
    periods: list[str]
    posted: int
    replayed: int


def _union(name: str, success: Any) -> Any:
    return Annotated[
        success | ValidationError | NotFoundError | RuleViolationError | ConflictError,
        strawberry.union(name),
    ]


AccountResult = _union("AccountResult", AccountSuccess)
ChartResult = _union("ChartResult", ChartSuccess)
DeleteAccountResult = _union("DeleteAccountResult", DeleteAccountSuccess)
JournalEntryResult = _union("JournalEntryResult", JournalEntrySuccess)
PeriodResult = _union("PeriodResult", PeriodSuccess)
AssertBalanceResult = _union("AssertBalanceResult", AssertBalanceSuccess)
ImportActualsResult = _union("ImportActualsResult", ImportActualsSuccess)
