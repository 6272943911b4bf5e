"""GraphQL types of bank imports: imports and their rows, bank lines, saved CSV mappings,
bank connections, progress, reconciliation. Nested objects come through the request's
loaders; bank lines and imports are Relay nodes of the caller's organization only."""

from __future__ import annotations

import base64
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from fiscus.domain.imports import AmountSign, StatementFormat, records
from fiscus.domain.imports.records import CategorySource, ImportStatus, RowOutcome
from fiscus.schema.bank_lines import BankLine
from fiscus.schema.ledger import Account
from fiscus.schema.relay import Connection, Node, build_connection, check_first, to_global_id
from fiscus.services.imports.queries import BalanceCheck as DomainBalanceCheck

strawberry.enum(StatementFormat, name="StatementFormat")
strawberry.enum(ImportStatus, name="ImportStatus")
strawberry.enum(RowOutcome, name="ImportRowOutcome")
strawberry.enum(CategorySource, name="CategorySource")
strawberry.enum(AmountSign, name="AmountSign")

MAX_PROBLEMS = 200


@strawberry.type(description="A problem of the file as a whole, or a warning about it.")
class ImportIssue:
    line: int | None
    code: str
    field: str | None
    message: str


@strawberry.type
class StatementBalance:
    amount: Decimal = strawberry.field(description="Signed like the lines (a card's debt < 0).")
    as_of: date


@strawberry.type(
    description="The statement's ending balance against the books at its date: posted lines "
    "plus this account's imported lines still in draft."
)
class BalanceCheck:
    as_of: date
    statement_balance: Decimal
    posted_balance: Decimal
    draft_amount: Decimal
    books_balance: Decimal
    difference: Decimal
    holds: bool

    @classmethod
    def from_domain(cls, check: DomainBalanceCheck) -> BalanceCheck:
        return cls(
            as_of=check.as_of,
            statement_balance=check.statement_balance,
            posted_balance=check.posted_balance,
            draft_amount=check.draft_amount,
            books_balance=check.books_balance,
            difference=check.difference,
            holds=check.difference == 0,
        )


@strawberry.type(description="What one row of a statement became.")
class ImportRow:
    line: int = strawberry.field(description="The row's line in the file (1-based).")
    outcome: RowOutcome
    code: str | None = strawberry.field(description="Why it failed or was skipped, or a warning.")
    field: str | None
    message: str | None
    source: strawberry.Private[records.ImportRow]

    @classmethod
    def from_domain(cls, row: records.ImportRow) -> ImportRow:
        return cls(
            line=row.line,
            outcome=row.outcome,
            code=row.code,
            field=row.field,
            message=row.message,
            source=row,
        )

    @strawberry.field(description="The bank line it created, or the earlier one it repeats.")
    async def bank_line(self, info: Info) -> BankLine | None:
        if self.source.line_id is None:
            return None
        found = await info.context.loaders.bank_lines.load(self.source.line_id)
        return BankLine.from_domain(found) if found else None


def row_cursor(row: ImportRow) -> str:
    return base64.urlsafe_b64encode(f"line:{row.line}".encode()).decode()


@strawberry.type
class BankImport(Node):
    id: strawberry.ID
    account_id: strawberry.ID
    source_kind: str = strawberry.field(name="source", description="file or plaid")
    status: ImportStatus
    format: StatementFormat | None
    file_name: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rows: int
    created: int
    duplicates: int
    skipped: int
    failed: int
    warnings: int
    failure: ImportIssue | None
    notes: list[ImportIssue]
    ending_balance: StatementBalance | None
    source: strawberry.Private[records.BankImport]

    @classmethod
    def from_domain(cls, item: records.BankImport) -> BankImport:
        return cls(
            id=to_global_id("BankImport", item.id),
            account_id=to_global_id("Account", item.account_id),
            source_kind=item.source,
            status=item.status,
            format=StatementFormat(item.format) if item.format else None,
            file_name=item.file_name,
            created_at=item.created_at,
            started_at=item.started_at,
            finished_at=item.finished_at,
            rows=item.rows,
            created=item.created,
            duplicates=item.duplicates,
            skipped=item.skipped,
            failed=item.failed,
            warnings=item.warnings,
            failure=ImportIssue(
                line=None,
                code=item.failure.code,
                field=item.failure.field,
                message=item.failure.message,
            )
            if item.failure
            else None,
            notes=[
                ImportIssue(line=n.line, code=n.code, field=n.field, message=n.message)
                for n in item.notes
            ],
            ending_balance=StatementBalance(
                amount=item.ending_balance.amount, as_of=item.ending_balance.as_of
            )
            if item.ending_balance
            else None,
            source=item,
        )

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        found = await info.context.loaders.ledger_accounts.load(self.source.account_id)
        return Account.from_domain(found) if found else None

    @strawberry.field(
        description=f"Failed and skipped rows and warnings, by line (at most {MAX_PROBLEMS})."
    )
    async def problems(self, info: Info) -> list[ImportRow]:
        found = await info.context.loaders.import_problems.load(self.source.id)
        return [ImportRow.from_domain(r) for r in found]

    @strawberry.field(description="What each row became, by line; filter by outcome.")
    async def lines(
        self,
        info: Info,
        outcome: list[RowOutcome] | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[ImportRow]:
        size = check_first(first)
        after_line = _decode_row_cursor(after)
        outcomes = tuple(sorted(o.value for o in outcome)) if outcome else None
        found = await info.context.loaders.import_rows.load(
            (self.source.id, outcomes, after_line, size + 1)
        )
        items = [ImportRow.from_domain(r) for r in found[:size]]
        return build_connection(
            items, has_next=len(found) > size, had_cursor=after is not None, cursor_of=row_cursor
        )

    @strawberry.field(description="The ending balance against the books (null: none in file).")
    async def balance_check(self, info: Info) -> BalanceCheck | None:
        found = await info.context.loaders.balance_checks.load(self.source)
        return BalanceCheck.from_domain(found) if found else None


def _decode_row_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    from graphql import GraphQLError

    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "line":
            raise ValueError(cursor)
        return int(number)
    except ValueError:
        raise GraphQLError(
            "Invalid cursor.", extensions={"code": "BAD_USER_INPUT", "argument": "after"}
        ) from None


@strawberry.type(description="An import's progress: while it runs, and once it is done.")
class ImportProgress:
    import_id: strawberry.ID
    status: ImportStatus
    rows: int
    processed: int
    created: int
    duplicates: int
    skipped: int
    failed: int

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ImportProgress:
        return cls(
            import_id=to_global_id("BankImport", payload["import_id"]),
            status=ImportStatus(payload["status"]),
            rows=payload["rows"],
            processed=payload["processed"],
            created=payload["created"],
            duplicates=payload["duplicates"],
            skipped=payload["skipped"],
            failed=payload["failed"],
        )
