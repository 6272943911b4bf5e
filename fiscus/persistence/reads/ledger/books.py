"""Ledger reads of the books: the chart of accounts, entries and lines, balances from the
derived summaries (``ledger_account_months`` + ``ledger_account_days``, see ``summary``),
period state, assertions, and the integrity checks.

Every statement filters by ``org_id`` explicitly as well as through RLS. Balances never
scan ``journal_lines`` nor an account's whole day history: whole months come from the month
rows, the rest from the day rows (index range scans on the summaries' primary keys).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import Uuid, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from fiscus.domain.ledger import (
    Account,
    AccountDaySum,
    AccountType,
    BalanceAssertion,
    EntryStatus,
    JournalEntry,
    JournalLine,
)
from fiscus.persistence.models.ledger import LedgerAccountRow
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.ledger.summary import (
    BALANCES_AS_OF,
    COLUMN_SUMS,
    MONTH_MISMATCHES,
    cover,
    month_of,
)
from fiscus.persistence.reads.repositories import ReadRepository

_ACCOUNT_COLUMNS = (
    LedgerAccountRow.id,
    LedgerAccountRow.org_id,
    LedgerAccountRow.code,
    LedgerAccountRow.name,
    LedgerAccountRow.type,
    LedgerAccountRow.currency,
    LedgerAccountRow.parent_id,
    LedgerAccountRow.archived,
    LedgerAccountRow.tags,
)
_ACCOUNTS = ReadQuery.of(
    select(*_ACCOUNT_COLUMNS)
    .where(LedgerAccountRow.org_id == bindparam("org_id"))
    .order_by(LedgerAccountRow.code)
)
_ACCOUNTS_BY_IDS = ReadQuery.of(
    select(*_ACCOUNT_COLUMNS).where(
        LedgerAccountRow.org_id == bindparam("org_id"),
        LedgerAccountRow.id == any_(bindparam("ids", type_=ARRAY(Uuid()))),
    )
)
_DAY_SUMS = ReadQuery.of(
    text("""
    SELECT account_id, currency, day, amount_sum, line_count FROM ledger_account_days
    WHERE org_id = :org_id AND day >= :from_day AND day <= :to_day
    ORDER BY account_id, currency, day""")
)


def account_of(row: asyncpg.Record | Any) -> Account:
    return Account(
        row["id"],
        row["org_id"],
        row["code"],
        row["name"],
        AccountType(row["type"]),
        row["currency"],
        row["parent_id"],
        row["archived"],
        dict(row["tags"] or {}),
    )


class LedgerReads(ReadRepository):
    async def accounts(self) -> list[Account]:
        """The organization's whole chart, archived accounts included, by code."""
        return [account_of(r) for r in await self.fetch(_ACCOUNTS, org_id=self.org_id)]

    async def accounts_by_ids(self, ids: Sequence[UUID]) -> list[Account]:
        if not ids:
            return []
        rows = await self.fetch(_ACCOUNTS_BY_IDS, org_id=self.org_id, ids=list(ids))
        return [account_of(r) for r in rows]

    async def day_sums(self, from_day: date, to_day: date) -> list[AccountDaySum]:
        """Summary rows of every account with posted lines in [from_day, to_day]: the signed
        sum (debit > 0) per account, currency and day."""
        rows = await self.fetch(_DAY_SUMS, org_id=self.org_id, from_day=from_day, to_day=to_day)
        return [
            AccountDaySum(
                r["account_id"], r["currency"], r["day"], Decimal(r["amount_sum"]), r["line_count"]
            )
            for r in rows
        ]

    async def closed_through(self) -> date | None:
        found: date | None = await self.fetchval(_CLOSED_THROUGH, org_id=self.org_id)
        return found

    async def balances_as_of(self, ids: Sequence[UUID], as_of: date) -> dict[UUID, Decimal]:
        """Signed balance (debit > 0) of each account at the end of ``as_of``, in the
        account's currency: its months before ``as_of``'s month, then that month's days."""
        rows = await self.fetch(
            BALANCES_AS_OF, org_id=self.org_id, ids=list(ids), month=month_of(as_of), as_of=as_of
        )
        return {r["id"]: Decimal(r["total"]) for r in rows}

    async def period_balances(
        self, from_day: date, to_day: date, *, dimension: str | None = None
    ) -> list[PeriodBalance]:
        """Opening, movement and closing per account and currency (and per value of the
        ``dimension`` key when asked: then from the lines carrying that key)."""
        if dimension is None:
            return await self._summary_period_balances(from_day, to_day)
        else:
            rows = await self.fetch(
                _PERIOD_BALANCES_BY_DIMENSION,
                org_id=self.org_id,
                from_day=from_day,
                to_day=to_day,
                dimension=dimension,
            )
        return [
            PeriodBalance(
                r["account_id"],
                r["currency"],
                r["value"],
                Decimal(r["opening"]),
                Decimal(r["movement"]),
            )
            for r in rows
        ]

    async def _summary_period_balances(self, from_day: date, to_day: date) -> list[PeriodBalance]:
        bounds = [from_day, to_day + timedelta(days=1)]
        rows = await self.fetch(
            COLUMN_SUMS,
            org_id=self.org_id,
            bounds=bounds,
            accounts=[],
            **cover(date.min, to_day, bounds).parameters(),
        )
        found: dict[tuple[UUID, str], list[Decimal]] = {}
        for r in rows:
            opening_movement = found.setdefault((r["account_id"], r["currency"]), [_ZERO, _ZERO])
            opening_movement[0 if r["col"] < 0 else 1] += Decimal(r["amount"])
        return [
            PeriodBalance(account, currency, None, opening, movement)
            for (account, currency), (opening, movement) in sorted(found.items())
        ]

    async def entries_page(self, filters: EntryFilters, *, limit: int) -> list[JournalEntry]:
        """Newest first, keyset on (date, id); ``limit`` rows at most."""
        after_date, after_id = filters.after or (date(9999, 12, 31), _MAX_UUID)
        pattern = ""
        if filters.text:
            escaped = filters.text.replace("\\", "\\\\").replace("%", "\\%")
            pattern = "%" + escaped.replace("_", "\\_") + "%"
        key, value = filters.dimension or ("", "")
        rows = await self.fetch(
            _ENTRIES_PAGE,
            org_id=self.org_id,
            account_id=filters.account_id or _NO_ID,
            from_day=filters.from_day or date(1, 1, 1),
            to_day=filters.to_day or date(9999, 12, 31),
            dimension={key: value} if key else {},  # the pool's codec encodes jsonb
            has_dimension=bool(key),
            pattern=pattern,
            after_date=after_date,
            after_id=after_id,
            limit=limit,
        )
        return [self._entry(r) for r in rows]

    async def entries_by_ids(self, ids: Sequence[UUID]) -> list[JournalEntry]:
        rows = await self.fetch(_ENTRIES_BY_IDS, org_id=self.org_id, ids=list(ids))
        return [self._entry(r) for r in rows]

    async def lines_of_entries(self, ids: Sequence[UUID]) -> dict[UUID, list[JournalLine]]:
        """Posted lines in line order (drafts keep theirs on the entry)."""
        rows = await self.fetch(_LINES_OF_ENTRIES, org_id=self.org_id, ids=list(ids))
        found: dict[UUID, list[JournalLine]] = {}
        for r in rows:
            found.setdefault(r["entry_id"], []).append(
                JournalLine(
                    r["account_id"],
                    Decimal(r["amount"]),
                    r["currency"],
                    dict(r["dimensions"] or {}),
                    r["counterparty"],
                    r["memo"],
                    None if r["rate"] is None else Decimal(r["rate"]),
                )
            )
        return found

    async def assertions(self, *, failing_only: bool) -> list[BalanceAssertion]:
        """Every assertion with the balance the books show now (re-evaluated per read)."""
        rows = await self.fetch(_ASSERTIONS, org_id=self.org_id, failing_only=failing_only)
        return [
            BalanceAssertion(
                r["id"],
                r["account_id"],
                r["day"],
                Decimal(r["amount"]),
                r["currency"],
                Decimal(r["actual"]),
            )
            for r in rows
        ]

    async def summary_mismatches(self) -> list[tuple[UUID, str, date, Decimal, Decimal]]:
        """(account, currency, day, summary, lines) wherever the summary differs from the
        sum of the lines: empty when the derived summary is right."""
        rows = await self.fetch(_SUMMARY_MISMATCHES, org_id=self.org_id)
        return [
            (r["account_id"], r["currency"], r["day"], Decimal(r["summary"]), Decimal(r["lines"]))
            for r in rows
        ]

    async def month_summary_mismatches(self) -> list[tuple[UUID, str, date, Decimal, Decimal]]:
        """(account, currency, month, summary, lines) wherever the month rows differ from
        the lines (amount or count): empty when the month summary is right."""
        rows = await self.fetch(MONTH_MISMATCHES, org_id=self.org_id)
        return [
            (
                r["account_id"],
                r["currency"],
                r["month"],
                Decimal(r["summary"]),
                Decimal(r["lines"]),
            )
            for r in rows
        ]

    async def unbalanced_entries(self) -> list[UUID]:
        """Posted entries whose lines do not sum to zero in some currency (none, ever)."""
        rows = await self.fetch(_UNBALANCED, org_id=self.org_id)
        return [r["entry_id"] for r in rows]

    async def trial_balance_totals(self) -> dict[str, Decimal]:
        """Sum of every account's balance per currency (zero in balanced books)."""
        rows = await self.fetch(_TRIAL_TOTALS, org_id=self.org_id)
        return {r["currency"]: Decimal(r["total"]) for r in rows}

    def _entry(self, r: Any) -> JournalEntry:
        status = EntryStatus(r["status"])
        lines: list[JournalLine] = []
        if status is EntryStatus.DRAFT:
            from fiscus.persistence.repositories.ledger import lines_of

            lines = lines_of(r["draft_lines"] or [])
        return JournalEntry(
            r["id"],
            self.org_id,
            r["entry_date"],
            r["memo"],
            lines,
            status,
            r["reverses"],
            r["posted_at"],
        )


@dataclass(frozen=True, slots=True)
class PeriodBalance:
    account_id: UUID
    currency: str
    dimension_value: str | None
    opening: Decimal
    movement: Decimal

    @property
    def closing(self) -> Decimal:
        return self.opening + self.movement


@dataclass(frozen=True, slots=True)
class EntryFilters:
    account_id: UUID | None = None
    from_day: date | None = None
    to_day: date | None = None
    dimension: tuple[str, str] | None = None
    text: str | None = None
    after: tuple[date, UUID] | None = None


_ZERO = Decimal(0)
_NO_ID = UUID(int=0)
_MAX_UUID = UUID(int=2**128 - 1)
_CLOSED_THROUGH = ReadQuery.of(
    text("""
    SELECT closed_through FROM ledger_period_closes
    WHERE org_id = :org_id ORDER BY seq DESC LIMIT 1""")
)
_PERIOD_BALANCES_BY_DIMENSION = ReadQuery.of(
    text("""
    SELECT account_id, currency, dimensions ->> :dimension AS value,
           coalesce(sum(amount) FILTER (WHERE entry_date < :from_day), 0) AS opening,
           coalesce(sum(amount) FILTER (WHERE entry_date >= :from_day), 0) AS movement
    FROM journal_lines
    WHERE org_id = :org_id AND entry_date <= :to_day AND dimensions ? :dimension
    GROUP BY account_id, currency, dimensions ->> :dimension
    ORDER BY account_id, currency, value""")
)
_ENTRIES_PAGE = ReadQuery.of(
    text("""
    SELECT e.id, e.entry_date, e.memo, e.status, e.reverses, e.posted_at, e.draft_lines
    FROM journal_entries e
    WHERE e.org_id = :org_id AND e.entry_date >= :from_day AND e.entry_date <= :to_day
      AND (:account_id = CAST('00000000-0000-0000-0000-000000000000' AS uuid)
           OR EXISTS (SELECT FROM journal_lines l WHERE l.org_id = e.org_id
                      AND l.entry_id = e.id AND l.account_id = :account_id))
      AND (NOT :has_dimension
           OR EXISTS (SELECT FROM journal_lines l WHERE l.org_id = e.org_id
                      AND l.entry_id = e.id AND l.dimensions @> CAST(:dimension AS jsonb)))
      AND (:pattern = '' OR e.memo ILIKE :pattern)
      AND (e.entry_date, e.id) < (:after_date, :after_id)
    ORDER BY e.entry_date DESC, e.id DESC
    LIMIT :limit""")
)
_ENTRIES_BY_IDS = ReadQuery.of(
    text("""
    SELECT e.id, e.entry_date, e.memo, e.status, e.reverses, e.posted_at, e.draft_lines
    FROM journal_entries e
    WHERE e.org_id = :org_id AND e.id = ANY(CAST(:ids AS uuid[]))""")
)
_LINES_OF_ENTRIES = ReadQuery.of(
    text("""
    SELECT entry_id, account_id, amount, currency, rate, dimensions, counterparty, memo
    FROM journal_lines
    WHERE org_id = :org_id AND entry_id = ANY(CAST(:ids AS uuid[]))
    ORDER BY entry_id, line_no""")
)
_ASSERTIONS = ReadQuery.of(
    text("""
    SELECT a.id, a.account_id, a.day, a.amount, a.currency, s.total AS actual
    FROM ledger_balance_assertions a
    CROSS JOIN LATERAL (
      SELECT coalesce((SELECT sum(m.amount_sum) FROM ledger_account_months m
                       WHERE m.org_id = a.org_id AND m.account_id = a.account_id
                         AND m.currency = a.currency
                         AND m.month < date_trunc('month', a.day)::date), 0)
           + coalesce((SELECT sum(d.amount_sum) FROM ledger_account_days d
                       WHERE d.org_id = a.org_id AND d.account_id = a.account_id
                         AND d.currency = a.currency
                         AND d.day >= date_trunc('month', a.day)::date AND d.day <= a.day), 0)
             AS total) AS s
    WHERE a.org_id = :org_id AND (NOT :failing_only OR s.total <> a.amount)
    ORDER BY a.day, a.id""")
)
_SUMMARY_MISMATCHES = ReadQuery.of(
    text("""
    SELECT coalesce(d.account_id, l.account_id) AS account_id,
           coalesce(d.currency, l.currency) AS currency, coalesce(d.day, l.day) AS day,
           coalesce(d.amount_sum, 0) AS summary, coalesce(l.total, 0) AS lines
    FROM (SELECT account_id, currency, day, amount_sum, line_count FROM ledger_account_days
          WHERE org_id = :org_id) AS d
    FULL JOIN (SELECT account_id, currency, entry_date AS day, sum(amount) AS total,
                      count(*) AS n
               FROM journal_lines WHERE org_id = :org_id
               GROUP BY account_id, currency, entry_date) AS l
      ON l.account_id = d.account_id AND l.currency = d.currency AND l.day = d.day
    WHERE coalesce(d.amount_sum, 0) <> coalesce(l.total, 0)
       OR coalesce(d.line_count, 0) <> coalesce(l.n, 0)""")
)
_UNBALANCED = ReadQuery.of(
    text("""
    SELECT DISTINCT entry_id FROM (
      SELECT entry_id FROM journal_lines WHERE org_id = :org_id
      GROUP BY entry_id, currency HAVING sum(amount) <> 0) AS off""")
)
_TRIAL_TOTALS = ReadQuery.of(
    text("""
    SELECT currency, sum(amount_sum) AS total FROM ledger_account_months
    WHERE org_id = :org_id GROUP BY currency""")
)
