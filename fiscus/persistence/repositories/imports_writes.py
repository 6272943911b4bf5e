"""Writing an import on asyncpg, in the import's one transaction (a statement unit with
``transaction=True``): the account's import lock, then per chunk of lines one statement
that inserts the new bank lines (``ON CONFLICT DO NOTHING`` on the account's dedupe key),
their draft journal entries, and answers which rows were new and which repeat an earlier
line; then the rows' outcomes, the import's counts and its audit event."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from fiscus.persistence.repositories.base import TenantScoped
from fiscus.persistence.repositories.ledger import account_lock_keys
from fiscus.persistence.statements import note_statement

IMPORT_LOCK_SPACE = 0x494D5054  # "IMPT": one import per account at a time

_LOCK = "SELECT pg_advisory_xact_lock($1, $2)"
_INSERT_LINES = """
WITH input AS (
  SELECT * FROM unnest(
    $3::int[], $4::uuid[], $5::uuid[], $6::text[], $7::date[], $8::date[], $9::numeric[],
    $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
    $17::text[], $18::bool[], $19::numeric[], $20::uuid[], $21::text[], $22::uuid[],
    $23::uuid[], $24::numeric[], $25::text[], $26::jsonb[], $27::text[]
  ) AS t(row_no, id, entry_id, dedupe_key, line_date, posted_date, amount, description,
         payee, memo, external_id, kind, bank_category, check_number, card, pending,
         balance, category_account_id, category_source, rule_id, suggested_account_id,
         confidence, counterparty, dimensions, tags)
),
inserted AS (
  INSERT INTO bank_lines AS b (
    org_id, id, account_id, import_id, dedupe_key, entry_id, line_date, posted_date, amount,
    currency, description, payee, memo, external_id, kind, bank_category, check_number, card,
    pending, balance, category_account_id, category_source, rule_id, suggested_account_id,
    confidence, counterparty, dimensions, tags, created_at)
  SELECT $1, i.id, $2, $28, i.dedupe_key, i.entry_id, i.line_date, i.posted_date, i.amount,
         $29, i.description, i.payee, i.memo, i.external_id, i.kind, i.bank_category,
         i.check_number, i.card, i.pending, i.balance, i.category_account_id,
         i.category_source, i.rule_id, i.suggested_account_id, i.confidence, i.counterparty,
         i.dimensions, CAST(i.tags AS varchar(40)[]), $31
  FROM input i
  ON CONFLICT (org_id, account_id, dedupe_key) DO NOTHING
  RETURNING b.id, b.entry_id, b.line_date, b.amount, b.payee, b.description,
            b.category_account_id, b.counterparty, b.dimensions
),
entries AS (
  INSERT INTO journal_entries (org_id, id, entry_date, memo, status, created_by, created_at,
                               draft_lines)
  SELECT $1, n.entry_id, n.line_date, left(n.payee, 500), 'draft', $30, $31,
         jsonb_build_array(
           jsonb_build_object('line_no', 0, 'account_id', $2::text, 'amount', n.amount::text,
                              'currency', $29::text, 'rate', NULL, 'dimensions', '{}'::jsonb,
                              'counterparty', left(n.payee, 200),
                              'memo', left(n.description, 500)),
           jsonb_build_object('line_no', 1, 'account_id', n.category_account_id::text,
                              'amount', (-n.amount)::text, 'currency', $29::text,
                              'rate', NULL, 'dimensions', n.dimensions,
                              'counterparty', left(coalesce(n.counterparty, n.payee), 200),
                              'memo', NULL))
  FROM inserted n
  RETURNING 1
)
SELECT i.row_no, coalesce(n.id, b.id) AS line_id, n.id IS NOT NULL AS created,
       (SELECT count(*) FROM entries) AS entries
FROM input i
LEFT JOIN inserted n ON n.id = i.id
LEFT JOIN bank_lines b
  ON n.id IS NULL AND b.org_id = $1 AND b.account_id = $2 AND b.dedupe_key = i.dedupe_key
ORDER BY i.row_no"""
_CLAIM = "SELECT status FROM bank_imports WHERE org_id = $1 AND id = $2 FOR UPDATE"
_INSERT_ROWS = """
INSERT INTO bank_import_rows (org_id, import_id, line_no, outcome, line_id, code, field,
                              message)
SELECT $1, $2, r.line_no, r.outcome, r.line_id, r.code, r.field, r.message
FROM unnest($3::int[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[])
  AS r(line_no, outcome, line_id, code, field, message)
ON CONFLICT (org_id, import_id, line_no) DO NOTHING"""
_FINISH = """
WITH done AS (
  UPDATE bank_imports SET status = $3, format = coalesce($4, format), rows = $5,
    created_count = $6, duplicate_count = $7, skipped_count = $8, failed_count = $9,
    warning_count = $10, ending_balance = $11, ending_balance_date = $12, finished_at = $13,
    failure = $14, notes = $19
  WHERE org_id = $1 AND id = $2
  RETURNING 1),
event AS (
  INSERT INTO audit_events (org_id, id, occurred_at, actor_user_id, action, subject_type,
                            subject_id, details)
  VALUES ($1, $15, $13, $16, $17, 'bank_import', $2::text, $18)
  RETURNING 1)
SELECT (SELECT count(*) FROM done) + (SELECT count(*) FROM event)"""


@dataclass(frozen=True, slots=True)
class NewBankLine:
    """A bank line to write, with its categorization; ``row_no`` is its line in the file."""

    row_no: int
    id: UUID
    entry_id: UUID
    dedupe_key: str
    date: datetime.date
    amount: Decimal
    description: str
    payee: str
    category_account_id: UUID
    category_source: str
    posted_date: datetime.date | None = None
    memo: str | None = None
    external_id: str | None = None
    kind: str | None = None
    bank_category: str | None = None
    check_number: str | None = None
    card: str | None = None
    pending: bool = False
    balance: Decimal | None = None
    rule_id: UUID | None = None
    suggested_account_id: UUID | None = None
    confidence: Decimal | None = None
    counterparty: str | None = None
    dimensions: dict[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WrittenLine:
    row_no: int
    line_id: UUID
    created: bool


@dataclass(frozen=True, slots=True)
class ImportTotals:
    status: str
    format: str | None
    rows: int
    created: int
    duplicates: int
    skipped: int
    failed: int
    warnings: int
    ending_balance: Decimal | None
    ending_balance_date: datetime.date | None
    failure: dict[str, Any] | None
    notes: list[dict[str, Any]] = field(default_factory=list)


def _cut(value: str | None, size: int) -> str | None:
    return None if value is None else value[:size]


class BankImportWriter(TenantScoped):
    def __init__(
        self, connection: asyncpg.Connection, org_id: UUID | None, user_id: UUID | None
    ) -> None:
        super().__init__(org_id)
        self._connection = connection
        self._user_id = user_id

    async def lock_account(self, account_id: UUID) -> None:
        """Imports into one account queue here (held until the transaction ends)."""
        _, keys = account_lock_keys(self.org_id, [account_id])
        note_statement(_LOCK)
        await self._connection.execute(_LOCK, IMPORT_LOCK_SPACE, keys[0])

    async def insert_lines(
        self,
        *,
        account_id: UUID,
        import_id: UUID,
        currency: str,
        lines: Sequence[NewBankLine],
        at: datetime.datetime,
    ) -> list[WrittenLine]:
        """New lines and their draft entries; lines whose key the account has already are
        answered with the earlier line's id and ``created=False``."""
        if not lines:
            return []
        note_statement(_INSERT_LINES)
        rows = await self._connection.fetch(
            _INSERT_LINES,
            self.org_id,
            account_id,
            [line.row_no for line in lines],
            [line.id for line in lines],
            [line.entry_id for line in lines],
            [line.dedupe_key for line in lines],
            [line.date for line in lines],
            [line.posted_date for line in lines],
            [line.amount for line in lines],
            [line.description[:500] for line in lines],
            [line.payee[:200] for line in lines],
            [_cut(line.memo, 500) for line in lines],
            [_cut(line.external_id, 200) for line in lines],
            [_cut(line.kind, 40) for line in lines],
            [_cut(line.bank_category, 100) for line in lines],
            [_cut(line.check_number, 40) for line in lines],
            [_cut(line.card, 40) for line in lines],
            [line.pending for line in lines],
            [line.balance for line in lines],
            [line.category_account_id for line in lines],
            [line.category_source for line in lines],
            [line.rule_id for line in lines],
            [line.suggested_account_id for line in lines],
            [line.confidence for line in lines],
            [_cut(line.counterparty, 200) for line in lines],
            [line.dimensions for line in lines],
            ["{" + ",".join(json.dumps(t) for t in line.tags) + "}" for line in lines],
            import_id,
            currency,
            self._user_id,
            at,
        )
        return [WrittenLine(r["row_no"], r["line_id"], r["created"]) for r in rows]

    async def insert_rows(
        self,
        import_id: UUID,
        rows: Sequence[tuple[int, str, UUID | None, str | None, str | None, str | None]],
    ) -> None:
        """(line, outcome, line id, code, field, message) per row of the file."""
        if not rows:
            return
        note_statement(_INSERT_ROWS)
        await self._connection.execute(
            _INSERT_ROWS,
            self.org_id,
            import_id,
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
            [_cut(r[3], 32) for r in rows],
            [_cut(r[4], 100) for r in rows],
            [_cut(r[5], 500) for r in rows],
        )

    async def finish(
        self,
        import_id: UUID,
        totals: ImportTotals,
        *,
        at: datetime.datetime,
        event_id: UUID,
        action: str,
        details: dict[str, Any],
    ) -> None:
        note_statement(_FINISH)
        await self._connection.fetchval(
            _FINISH,
            self.org_id,
            import_id,
            totals.status,
            totals.format,
            totals.rows,
            totals.created,
            totals.duplicates,
            totals.skipped,
            totals.failed,
            totals.warnings,
            totals.ending_balance,
            totals.ending_balance_date,
            at,
            totals.failure,
            event_id,
            self._user_id,
            action,
            details,
            totals.notes,
        )

    async def claim(self, import_id: UUID) -> str | None:
        """The import's status, its row locked until the transaction ends (None: gone)."""
        note_statement(_CLAIM)
        status: str | None = await self._connection.fetchval(_CLAIM, self.org_id, import_id)
        return status
