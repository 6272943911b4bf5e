"""Ledger reads for the API: the chart, balances (from the derived summary), entries,
assertions, and the integrity checks (summary = lines; trial balance = 0)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.identity import Principal
from fiscus.domain.ledger import Account, BalanceAssertion, JournalEntry, JournalLine
from fiscus.persistence.reads.ledger import EntryFilters, PeriodBalance
from fiscus.services.ledger.context import LedgerContext

__all__ = ["EntryFilters", "PeriodBalance"]


async def accounts(ctx: LedgerContext, principal: Principal) -> list[Account]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.ledger.accounts()


async def accounts_by_ids(
    ctx: LedgerContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Account]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return {a.id: a for a in await reads.ledger.accounts_by_ids(ids)}


async def balances_as_of(
    ctx: LedgerContext, principal: Principal, ids: Sequence[UUID], as_of: date
) -> dict[UUID, Decimal]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.ledger.balances_as_of(ids, as_of)


async def period_balances(
    ctx: LedgerContext,
    principal: Principal,
    from_day: date,
    to_day: date,
    *,
    dimension: str | None = None,
) -> list[PeriodBalance]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.ledger.period_balances(from_day, to_day, dimension=dimension)


async def entries_page(
    ctx: LedgerContext, principal: Principal, filters: EntryFilters, *, limit: int
) -> list[JournalEntry]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.ledger.entries_page(filters, limit=limit)


async def entries_by_ids(
    ctx: LedgerContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, JournalEntry]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return {e.id: e for e in await reads.ledger.entries_by_ids(ids)}


async def lines_of_entries(
    ctx: LedgerContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, list[JournalLine]]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.ledger.lines_of_entries(ids)


async def assertions(
    ctx: LedgerContext, principal: Principal, *, failing_only: bool
) -> list[BalanceAssertion]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.ledger.assertions(failing_only=failing_only)


async def closed_through(ctx: LedgerContext, principal: Principal) -> date | None:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.ledger.closed_through()


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    summary_mismatches: list[tuple[UUID, str, date, Decimal, Decimal]]
    trial_balance: dict[str, Decimal]
    unbalanced_entries: list[UUID]
    month_mismatches: list[tuple[UUID, str, date, Decimal, Decimal]] = field(default_factory=list)
    """Like ``summary_mismatches``, for the per-month summary (``month`` first days)."""

    @property
    def sound(self) -> bool:
        return (
            not self.summary_mismatches
            and not self.month_mismatches
            and not self.unbalanced_entries
            and all(v == 0 for v in self.trial_balance.values())
        )


async def check_integrity(ctx: LedgerContext, principal: Principal) -> IntegrityReport:
    """Proves the derived summaries equal the sums of the lines (per account, currency and
    day, and per account, currency and month; amounts and line counts), that every entry
    balances per currency and that the books sum to zero per currency."""
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        mismatches = await reads.ledger.summary_mismatches()
        months = await reads.ledger.month_summary_mismatches()
        totals = await reads.ledger.trial_balance_totals()
        unbalanced = await reads.ledger.unbalanced_entries()
    return IntegrityReport(mismatches, totals, unbalanced, months)
