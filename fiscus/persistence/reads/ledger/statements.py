"""What statements read: signed sums per (account, currency, column) over the derived
summaries (``summary.COLUMN_SUMS``), line-level sums for what the summaries cannot answer,
and the journal streamed for exports.

Statement sums are set-based: one statement per column set, whatever the number of
accounts. Columns are contiguous, so ``width_bucket(day, bounds)`` with ``bounds`` = every
column's first day plus the day after the last column places a day (or a whole month lying
in one column) in its column (1..n); 0 is "before the first column" (the opening balance),
returned as column -1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import text

from fiscus.domain.ledger.statements import CurrencySum
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.ledger.books import LedgerReads
from fiscus.persistence.reads.ledger.summary import BALANCES_AS_OF, COLUMN_SUMS, cover, month_of
from fiscus.persistence.reads.repositories import ReadRepository
from fiscus.persistence.statements import note_statement

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
            COLUMN_SUMS,
            org_id=self.org_id,
            bounds=list(request.bounds),
            accounts=list(request.accounts),
            **cover(request.since, request.to_day, request.bounds).parameters(),
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
        """An account's signed balance per currency at the end of ``day`` (its months
        before ``day``'s month, then that month's days); empty for an unknown account."""
        rows = await self.fetch(
            BALANCES_AS_OF, org_id=self.org_id, ids=[account_id], month=month_of(day), as_of=day
        )
        return {r["currency"].strip(): Decimal(r["total"]) for r in rows}

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
