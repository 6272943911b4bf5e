"""Bank import reads for the API: imports, their rows and problems, bank lines, and the
check of a statement's ending balance against the books."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.imports.records import BankImport, BankLine, ImportRow
from fiscus.persistence.reads.imports import ConnectionRecord, LineFilters
from fiscus.services.imports.context import Acting, ImportsContext

__all__ = ["LineFilters"]


@dataclass(frozen=True, slots=True)
class BalanceCheck:
    """The statement's ending balance against the books at its date: posted lines plus this
    account's imported lines still in draft."""

    as_of: date
    statement_balance: Decimal
    posted_balance: Decimal
    draft_amount: Decimal

    @property
    def books_balance(self) -> Decimal:
        return self.posted_balance + self.draft_amount

    @property
    def difference(self) -> Decimal:
        return self.statement_balance - self.books_balance


async def imports_by_ids(
    ctx: ImportsContext, acting: Acting, ids: Sequence[UUID]
) -> dict[UUID, BankImport]:
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        return {i.id: i for i in await reads.imports.imports_by_ids(ids)}


async def imports_page(
    ctx: ImportsContext,
    acting: Acting,
    *,
    account_id: UUID | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[BankImport]:
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        return await reads.imports.imports_page(account_id=account_id, after=after, limit=limit)


async def import_rows(
    ctx: ImportsContext,
    acting: Acting,
    import_id: UUID,
    *,
    outcomes: Sequence[str] | None,
    after_line: int,
    limit: int,
) -> list[ImportRow]:
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        return await reads.imports.import_rows(
            import_id, outcomes=outcomes, after_line=after_line, limit=limit
        )


async def problems(
    ctx: ImportsContext, acting: Acting, import_ids: Sequence[UUID], *, limit: int
) -> dict[UUID, list[ImportRow]]:
    found: dict[UUID, list[ImportRow]] = {i: [] for i in import_ids}
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        for row in await reads.imports.problems(import_ids, limit=limit):
            found[row.import_id].append(row)
    return found


async def lines_by_ids(
    ctx: ImportsContext, acting: Acting, ids: Sequence[UUID]
) -> dict[UUID, BankLine]:
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        return {line.id: line for line in await reads.imports.lines_by_ids(ids)}


async def lines_page(
    ctx: ImportsContext, acting: Acting, filters: LineFilters, *, limit: int
) -> list[BankLine]:
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        return await reads.imports.lines_page(filters, limit=limit)


async def balance_check(
    ctx: ImportsContext, acting: Acting, item: BankImport
) -> BalanceCheck | None:
    if item.ending_balance is None:
        return None
    as_of = item.ending_balance.as_of
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        posted = await reads.ledger.balances_as_of([item.account_id], as_of)
        drafts = await reads.imports.draft_sum(item.account_id, as_of)
    return BalanceCheck(
        as_of, item.ending_balance.amount, posted.get(item.account_id, Decimal(0)), drafts
    )


async def connections(ctx: ImportsContext, acting: Acting) -> list[ConnectionRecord]:
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        return await reads.imports.connections()
