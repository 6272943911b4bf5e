"""Ledger reads: the chart of accounts, entries and lines, balances from the derived
per-day summary (``ledger_account_days``), period state, assertions.

Every statement filters by ``org_id`` explicitly as well as through RLS. Balances never
scan ``journal_lines``: they sum the summary rows in the asked range (one index range scan
on the summary's primary key per account).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
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
from fiscus.domain.ledger.statements import CurrencySum
from fiscus.persistence.models.ledger import LedgerAccountRow
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.repositories import ReadRepository
from fiscus.persistence.statements import note_statement

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
        account's currency: one range scan of the summary per account."""
        rows = await self.fetch(_BALANCES_AS_OF, org_id=self.org_id, ids=list(ids), as_of=as_of)
        return {r["id"]: Decimal(r["total"]) for r in rows}

    async def period_balances(
        self, from_day: date, to_day: date, *, dimension: str | None = None
    ) -> list[PeriodBalance]:
        """Opening, movement and closing per account and currency (and per value of the
        ``dimension`` key when asked: then from the lines carrying that key)."""
        if dimension is None:
            rows = await self.fetch(
                _PERIOD_BALANCES, org_id=self.org_id, from_day=from_day, to_day=to_day
            )
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
            dimension=json.dumps({key: value} if key else {}),
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


_NO_ID = UUID(int=0)
_MAX_UUID = UUID(int=2**128 - 1)
_CLOSED_THROUGH = ReadQuery.of(
    text("""
    SELECT closed_through FROM ledger_period_closes
    WHERE org_id = :org_id ORDER BY seq DESC LIMIT 1""")
)
_BALANCES_AS_OF = ReadQuery.of(
    text("""
    SELECT a.id, coalesce(s.total, 0) AS total
    FROM ledger_accounts a
    CROSS JOIN LATERAL (
      SELECT sum(d.amount_sum) AS total FROM ledger_account_days d
      WHERE d.org_id = a.org_id AND d.account_id = a.id AND d.currency = a.currency
        AND d.day <= :as_of) AS s
    WHERE a.org_id = :org_id AND a.id = ANY(CAST(:ids AS uuid[]))""")
)
_PERIOD_BALANCES = ReadQuery.of(
    text("""
    SELECT account_id, currency, NULL::text AS value,
           coalesce(sum(amount_sum) FILTER (WHERE day < :from_day), 0) AS opening,
           coalesce(sum(amount_sum) FILTER (WHERE day >= :from_day), 0) AS movement
    FROM ledger_account_days
    WHERE org_id = :org_id AND day <= :to_day
    GROUP BY account_id, currency ORDER BY account_id, currency""")
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
    SELECT a.id, a.account_id, a.day, a.amount, a.currency, coalesce(s.total, 0) AS actual
    FROM ledger_balance_assertions a
    CROSS JOIN LATERAL (
      SELECT sum(d.amount_sum) AS total FROM ledger_account_days d
      WHERE d.org_id = a.org_id AND d.account_id = a.account_id AND d.currency = a.currency
        AND d.day <= a.day) AS s
    WHERE a.org_id = :org_id AND (NOT :failing_only OR coalesce(s.total, 0) <> a.amount)
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
    SELECT currency, sum(amount_sum) AS total FROM ledger_account_days
    WHERE org_id = :org_id GROUP BY currency""")
)


# -- statements --
# ledger-reports appends the statement queries below this line.
#
# Statement sums are set-based: one statement per column set, whatever the number of
# accounts. Columns are contiguous, so ``width_bucket(day, bounds)`` with ``bounds`` = every
# column's first day plus the day after the last column places a day in its column (1..n);
# 0 is "before the first column" (the opening balance), returned as column -1.

_SUMMARY_SUMS = ReadQuery.of(
    text("""
    SELECT account_id, currency, width_bucket(day, CAST(:bounds AS date[])) - 1 AS col,
           sum(amount_sum) AS amount
    FROM ledger_account_days
    WHERE org_id = :org_id AND day >= :since AND day <= :to_day
      AND (cardinality(CAST(:accounts AS uuid[])) = 0
           OR account_id = ANY(CAST(:accounts AS uuid[])))
    GROUP BY 1, 2, 3""")
)

# Line-level sums, for what the summary cannot answer: foreign-currency lines converted at
# their rate (a line's rate is quoted in its entry's first currency, so it converts to the
# reporting currency only when that is the entry's first currency), lines of one dimension
# (the line's own value for the key, else its account's tag), and the direct cash flow's
# counterparts (non-cash lines of entries with a cash line, negated).
_LINE_FILTERS = """
    l.org_id = :org_id AND l.entry_date >= :since AND l.entry_date <= :to_day
    AND (cardinality(CAST(:accounts AS uuid[])) = 0
         OR l.account_id = ANY(CAST(:accounts AS uuid[])))
    AND (NOT :only_foreign OR l.currency <> :reporting)
    AND (:dim_key = '' OR coalesce(l.dimensions ->> :dim_key, a.tags ->> :dim_key) = :dim_value)
"""
_LINE_SUMS = ReadQuery.of(
    text(f"""
    SELECT l.account_id, l.currency, width_bucket(l.entry_date, CAST(:bounds AS date[])) - 1
             AS col,
           sum(l.amount) AS amount, sum(l.amount * l.rate) AS converted,
           count(*) FILTER (WHERE l.rate IS NULL OR f.currency <> :reporting) AS unconvertible
    FROM journal_lines l
    JOIN ledger_accounts a ON a.org_id = l.org_id AND a.id = l.account_id
    LEFT JOIN LATERAL (
      SELECT currency FROM journal_lines f
      WHERE f.org_id = l.org_id AND f.entry_id = l.entry_id ORDER BY f.line_no LIMIT 1
    ) AS f ON l.currency <> :reporting
    WHERE {_LINE_FILTERS}
    GROUP BY 1, 2, 3""")  # noqa: S608 -- a constant fragment, no input
)
_COUNTERPART_SUMS = ReadQuery.of(
    text(f"""
    SELECT l.account_id, l.currency, width_bucket(l.entry_date, CAST(:bounds AS date[])) - 1
             AS col,
           -sum(l.amount) AS amount, -sum(l.amount * l.rate) AS converted,
           count(*) FILTER (WHERE l.rate IS NULL OR f.currency <> :reporting) AS unconvertible
    FROM journal_lines l
    JOIN ledger_accounts a ON a.org_id = l.org_id AND a.id = l.account_id
    LEFT JOIN LATERAL (
      SELECT currency FROM journal_lines f
      WHERE f.org_id = l.org_id AND f.entry_id = l.entry_id ORDER BY f.line_no LIMIT 1
    ) AS f ON l.currency <> :reporting
    WHERE {_LINE_FILTERS}
      AND NOT l.account_id = ANY(CAST(:cash AS uuid[]))
      AND EXISTS (
        SELECT 1 FROM journal_lines c
        JOIN ledger_accounts ca ON ca.org_id = c.org_id AND ca.id = c.account_id
        WHERE c.org_id = l.org_id AND c.entry_id = l.entry_id
          AND c.account_id = ANY(CAST(:cash AS uuid[]))
          AND (:dim_key = ''
               OR coalesce(c.dimensions ->> :dim_key, ca.tags ->> :dim_key) = :dim_value))
    GROUP BY 1, 2, 3""")  # noqa: S608 -- a constant fragment, no input
)
_BALANCE_AS_OF = ReadQuery.of(
    text("""
    SELECT currency, sum(amount_sum) AS amount FROM ledger_account_days
    WHERE org_id = :org_id AND account_id = :account_id AND day <= :day
    GROUP BY currency""")
)


@dataclass(frozen=True, slots=True)
class SumsRequest:
    """Which sums a statement needs. ``bounds``: the columns' first days and the day after
    the last; ``since``: the first day summed (``date.min`` to include the opening balance).
    ``accounts``: only these (empty: all)."""

    bounds: Sequence[date]
    since: date
    to_day: date
    currency: str
    accounts: Sequence[UUID] = ()
    dimension: tuple[str, str] | None = None


def _currency_sum(row: asyncpg.Record, reporting: str) -> CurrencySum:
    converted: Decimal | None = None
    if row["currency"] != reporting and not row["unconvertible"]:
        converted = Decimal(row["converted"]).quantize(_CENT_THOUSANDTH)
    return CurrencySum(
        row["account_id"], row["currency"].strip(), row["col"], Decimal(row["amount"]), converted
    )


_CENT_THOUSANDTH = Decimal("0.0001")


class StatementReads(ReadRepository):
    """What statements read, on the connection and tenant of ``reads.ledger``:
    ``StatementReads.of(reads.ledger)``."""

    @classmethod
    def of(cls, ledger: LedgerReads) -> StatementReads:
        return cls(ledger._connection, ledger._org_id)

    async def statement_sums(self, request: SumsRequest) -> list[CurrencySum]:
        """Signed sums per (account, currency, column): from the summary when no dimension
        is asked for (plus one line-level statement when foreign currencies appear), from
        the lines otherwise."""
        if request.dimension is not None:
            rows = await self.fetch(_LINE_SUMS, **self._line_values(request, only_foreign=False))
            return [_currency_sum(r, request.currency) for r in rows]
        rows = await self.fetch(
            _SUMMARY_SUMS,
            org_id=self.org_id,
            bounds=list(request.bounds),
            since=request.since,
            to_day=request.to_day,
            accounts=list(request.accounts),
        )
        sums = [
            CurrencySum(r["account_id"], r["currency"].strip(), r["col"], Decimal(r["amount"]))
            for r in rows
            if r["currency"].strip() == request.currency
        ]
        foreign = sorted(
            {r["account_id"] for r in rows if r["currency"].strip() != request.currency}
        )
        if foreign:
            values = self._line_values(request, only_foreign=True)
            values["accounts"] = foreign
            converted = await self.fetch(_LINE_SUMS, **values)
            sums.extend(_currency_sum(r, request.currency) for r in converted)
        return sums

    async def counterpart_sums(
        self, request: SumsRequest, cash: Sequence[UUID]
    ) -> list[CurrencySum]:
        """Per non-cash account and column: minus its lines in entries with a cash line."""
        if not cash:
            return []
        values = self._line_values(request, only_foreign=False)
        rows = await self.fetch(_COUNTERPART_SUMS, cash=list(cash), **values)
        return [_currency_sum(r, request.currency) for r in rows]

    async def balance_as_of(self, account_id: UUID, day: date) -> dict[str, Decimal]:
        """An account's signed balance per currency at the end of ``day``."""
        rows = await self.fetch(_BALANCE_AS_OF, org_id=self.org_id, account_id=account_id, day=day)
        return {r["currency"].strip(): Decimal(r["amount"]) for r in rows}

    def _line_values(self, request: SumsRequest, *, only_foreign: bool) -> dict[str, Any]:
        key, value = request.dimension or ("", "")
        return {
            "org_id": self.org_id,
            "bounds": list(request.bounds),
            "since": request.since,
            "to_day": request.to_day,
            "accounts": list(request.accounts),
            "only_foreign": only_foreign,
            "reporting": request.currency,
            "dim_key": key,
            "dim_value": value,
        }


_JOURNAL = ReadQuery.of(
    text("""
    SELECT l.entry_date, e.id AS entry_id, e.memo AS entry_memo, l.line_no, a.code,
           a.name AS account_name, l.amount, l.currency, l.rate, l.counterparty, l.memo,
           l.dimensions
    FROM journal_lines l
    JOIN journal_entries e ON e.org_id = l.org_id AND e.id = l.entry_id
    JOIN ledger_accounts a ON a.org_id = l.org_id AND a.id = l.account_id
    WHERE l.org_id = :org_id AND l.entry_date >= :from_day AND l.entry_date <= :to_day
    ORDER BY l.entry_date, e.posted_at, e.id, l.line_no""")
)


class JournalReads(ReadRepository):
    """The journal, streamed: ``StatementReads``' connection must stay in its transaction
    while the batches are consumed."""

    @classmethod
    def of(cls, ledger: LedgerReads) -> JournalReads:
        return cls(ledger._connection, ledger._org_id)

    async def batches(
        self, from_day: date, to_day: date, size: int = 2000
    ) -> AsyncIterator[list[asyncpg.Record]]:
        note_statement(_JOURNAL.sql)
        cursor = self._connection.cursor(
            _JOURNAL.sql,
            *_JOURNAL.arguments({"org_id": self.org_id, "from_day": from_day, "to_day": to_day}),
            prefetch=size,
        )
        batch: list[asyncpg.Record] = []
        async for row in cursor:
            batch.append(row)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch
