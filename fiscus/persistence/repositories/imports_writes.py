"""Writing an import on asyncpg, in the import's one transaction (a statement unit with
``transaction=True``): the account's import lock, then per chunk of lines one statement
that inserts the new bank lines (``ON CONFLICT DO NOTHING`` on the account's dedupe key),
their draft journal entries, and answers which rows were new and which repeat an earlier
line; then the rows' outcomes, the import's counts and its audit event."""

from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import Mapping, Sequence
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
_STAGE = """
CREATE TEMP TABLE bank_import_input (
  row_no int, id uuid, entry_id uuid, dedupe_key text, line_date date, posted_date date,
  amount numeric, description text, payee text, memo text, external_id text, kind text,
  bank_category text, check_number text, card text, pending bool, balance numeric,
  category_account_id uuid, category_source text, rule_id uuid, suggested_account_id uuid,
  confidence numeric, counterparty text, dimensions text, tags text[],
  warning_code text, warning_field text, warning_message text
) ON COMMIT DROP"""
STAGED_COLUMNS = (
    "row_no",
    "id",
    "entry_id",
    "dedupe_key",
    "line_date",
    "posted_date",
    "amount",
    "description",
    "payee",
    "memo",
    "external_id",
    "kind",
    "bank_category",
    "check_number",
    "card",
    "pending",
    "balance",
    "category_account_id",
    "category_source",
    "rule_id",
    "suggested_account_id",
    "confidence",
    "counterparty",
    "dimensions",
    "tags",
    "warning_code",
    "warning_field",
    "warning_message",
)
# One statement per range of rows: new lines (the account's dedupe keys decide), their draft
# entries, and every row's outcome; answers the range's counts.
_INSERT_STAGED = """
WITH input AS (
  SELECT * FROM bank_import_input WHERE row_no >= $3 AND row_no <= $4
),
inserted AS (
  INSERT INTO bank_lines AS b (
    org_id, id, account_id, import_id, dedupe_key, entry_id, line_date, posted_date, amount,
    currency, description, payee, memo, external_id, kind, bank_category, check_number, card,
    pending, balance, category_account_id, category_source, rule_id, suggested_account_id,
    confidence, counterparty, dimensions, tags, created_at)
  SELECT $1, i.id, $2, $5, i.dedupe_key, i.entry_id, i.line_date, i.posted_date, i.amount,
         $6, i.description, i.payee, i.memo, i.external_id, i.kind, i.bank_category,
         i.check_number, i.card, i.pending, i.balance, i.category_account_id,
         i.category_source, i.rule_id, i.suggested_account_id, i.confidence, i.counterparty,
         CAST(i.dimensions AS jsonb), CAST(i.tags AS varchar(40)[]), $8
  FROM input i
  ORDER BY i.row_no
  ON CONFLICT (org_id, account_id, dedupe_key) DO NOTHING
  RETURNING b.id, b.entry_id, b.line_date, b.amount, b.payee, b.description,
            b.category_account_id, b.counterparty, b.dimensions
),
entries AS (
  INSERT INTO journal_entries (org_id, id, entry_date, memo, status, created_by, created_at,
                               draft_lines)
  SELECT $1, n.entry_id, n.line_date, left(n.payee, 500), 'draft', $7, $8,
         jsonb_build_array(
           jsonb_build_object('line_no', 0, 'account_id', $2::text, 'amount', n.amount::text,
                              'currency', $6::text, 'rate', NULL, 'dimensions', '{}'::jsonb,
                              'counterparty', left(n.payee, 200),
                              'memo', left(n.description, 500)),
           jsonb_build_object('line_no', 1, 'account_id', n.category_account_id::text,
                              'amount', (-n.amount)::text, 'currency', $6::text,
                              'rate', NULL, 'dimensions', n.dimensions,
                              'counterparty', left(coalesce(n.counterparty, n.payee), 200),
                              'memo', NULL))
  FROM inserted n
  RETURNING 1
),
outcomes AS (
  SELECT i.row_no, coalesce(n.id, b.id) AS line_id, n.id IS NOT NULL AS created,
         i.warning_code, i.warning_field, i.warning_message
  FROM input i
  LEFT JOIN inserted n ON n.id = i.id
  LEFT JOIN bank_lines b
    ON n.id IS NULL AND b.org_id = $1 AND b.account_id = $2 AND b.dedupe_key = i.dedupe_key
),
recorded AS (
  INSERT INTO bank_import_rows (org_id, import_id, line_no, outcome, line_id, code, field,
                                message)
  SELECT $1, $5, o.row_no, CASE WHEN o.created THEN 'created' ELSE 'duplicate' END,
         o.line_id, left(o.warning_code, 32), left(o.warning_field, 100),
         left(o.warning_message, 500)
  FROM outcomes o
  ON CONFLICT (org_id, import_id, line_no) DO NOTHING
  RETURNING 1
)
SELECT count(*) FILTER (WHERE created) AS created, count(*) AS total,
       (SELECT count(*) FROM entries) AS entries, (SELECT count(*) FROM recorded) AS rows
FROM outcomes"""
_LONG_STATEMENTS = "SET LOCAL statement_timeout = '600s'"
_CLAIM = "SELECT status FROM bank_imports WHERE org_id = $1 AND id = $2 FOR UPDATE"
_INSERT_ROWS = """
INSERT INTO bank_import_rows (org_id, import_id, line_no, outcome, line_id, code, field,
                              message)
SELECT $1, $2, r.line_no, r.outcome, r.line_id, r.code, r.field, r.message
FROM jsonb_to_recordset(CAST(CAST($3 AS text) AS jsonb))
  AS r(line_no int, outcome text, line_id uuid, code text, field text, message text)
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


@dataclass(slots=True)
class NewBankLine:
    """A bank line to write, with its categorization; ``row_no`` is its line in the file.
    Not ``frozen``: an import builds 100,000s of them (treat as immutable)."""

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


def staged_records(
    lines: Sequence[NewBankLine], warnings: Mapping[int, tuple[str, str | None, str]]
) -> list[tuple[Any, ...]]:
    """Rows of the staging table, in ``STAGED_COLUMNS`` order (built off the event loop)."""
    records = []
    for line in lines:
        warning = warnings.get(line.row_no)
        records.append(
            (
                line.row_no,
                line.id,
                line.entry_id,
                line.dedupe_key,
                line.date,
                line.posted_date,
                line.amount,
                line.description[:500],
                line.payee[:200],
                _cut(line.memo, 500),
                _cut(line.external_id, 200),
                _cut(line.kind, 40),
                _cut(line.bank_category, 100),
                _cut(line.check_number, 40),
                _cut(line.card, 40),
                line.pending,
                line.balance,
                line.category_account_id,
                line.category_source,
                line.rule_id,
                line.suggested_account_id,
                line.confidence,
                _cut(line.counterparty, 200),
                json.dumps(line.dimensions),
                [t[:40] for t in line.tags],
                warning[0] if warning else None,
                warning[1] if warning else None,
                warning[2] if warning else None,
            )
        )
    return records


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

    async def stage(
        self, lines: Sequence[NewBankLine], warnings: Mapping[int, tuple[str, str | None, str]]
    ) -> None:
        """The lines into this transaction's temporary table (COPY: one stream), with the
        warning each row carries ((code, field, message) by row)."""
        note_statement(_LONG_STATEMENTS)
        await self._connection.execute(_LONG_STATEMENTS)
        note_statement(_STAGE)
        await self._connection.execute(_STAGE)
        records = await asyncio.to_thread(staged_records, lines, warnings)
        note_statement("COPY bank_import_input")
        await self._connection.copy_records_to_table(
            "bank_import_input", records=records, columns=STAGED_COLUMNS
        )

    async def insert_staged(
        self,
        *,
        account_id: UUID,
        import_id: UUID,
        currency: str,
        first_row: int,
        last_row: int,
        at: datetime.datetime,
    ) -> tuple[int, int]:
        """(created, rows) of the staged rows ``first_row..last_row``: new lines and their
        drafts written; the others repeat a line the account has; every row's outcome
        recorded."""
        note_statement(_INSERT_STAGED)
        row = await self._connection.fetchrow(
            _INSERT_STAGED,
            self.org_id,
            account_id,
            first_row,
            last_row,
            import_id,
            currency,
            self._user_id,
            at,
        )
        assert row is not None
        return int(row["created"]), int(row["total"])

    async def insert_rows(
        self,
        import_id: UUID,
        rows: Sequence[tuple[int, str, UUID | None, str | None, str | None, str | None]],
    ) -> None:
        """(line, outcome, line id, code, field, message) per row of the file."""
        if not rows:
            return
        note_statement(_INSERT_ROWS)
        payload = await asyncio.to_thread(
            json.dumps,
            [
                {
                    "line_no": r[0],
                    "outcome": r[1],
                    "line_id": str(r[2]) if r[2] else None,
                    "code": _cut(r[3], 32),
                    "field": _cut(r[4], 100),
                    "message": _cut(r[5], 500),
                }
                for r in rows
            ],
        )
        await self._connection.execute(_INSERT_ROWS, self.org_id, import_id, payload)

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
