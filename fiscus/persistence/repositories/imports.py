"""Bank import writes in units of work (ORM): imports' lifecycle, saved mappings, bank
connections, and set-based changes of bank lines (categories, clearing, Plaid's edits) that
keep their draft entries in step. Reached lazily as ``uow.imports``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import delete, select, text

from fiscus.persistence.models.imports import (
    BankConnectionRow,
    BankImportRow,
    ImportCsvMappingRow,
)
from fiscus.persistence.repositories.base import AreaRepository

# The category side of an imported draft is its second line; a draft someone reshaped
# through the ledger (other lines, another bank line) is left alone.
_RECATEGORIZE = text("""
WITH change AS (
  SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:accounts AS uuid[]),
                       CAST(:sources AS text[]), CAST(:rules AS uuid[]),
                       CAST(:payees AS text[]), CAST(:counterparties AS text[]),
                       CAST(:dimensions AS jsonb[]), CAST(:tags AS text[]),
                       CAST(:suggested AS uuid[]), CAST(:confidences AS numeric[]))
    AS c(id, account, source, rule_id, payee, counterparty, dimensions, tags, suggested,
         confidence)
),
lines AS (
  UPDATE bank_lines b SET category_account_id = c.account, category_source = c.source,
    rule_id = c.rule_id, payee = coalesce(c.payee, b.payee),
    counterparty = c.counterparty, dimensions = coalesce(c.dimensions, '{}'::jsonb),
    tags = CAST(coalesce(c.tags, '{}') AS varchar(40)[]),
    suggested_account_id = coalesce(c.suggested, b.suggested_account_id),
    confidence = coalesce(c.confidence, b.confidence)
  FROM change c
  WHERE b.org_id = :org_id AND b.id = c.id
  RETURNING b.id, b.entry_id, b.account_id, b.payee, c.account, b.counterparty, b.dimensions
)
UPDATE journal_entries e SET
  memo = left(l.payee, 500),
  draft_lines = jsonb_set(jsonb_set(jsonb_set(jsonb_set(e.draft_lines,
      '{1,account_id}', to_jsonb(l.account::text)),
      '{1,dimensions}', l.dimensions),
      '{1,counterparty}', to_jsonb(left(coalesce(l.counterparty, l.payee), 200))),
      '{0,counterparty}', to_jsonb(left(l.payee, 200)))
FROM lines l
WHERE e.org_id = :org_id AND e.id = l.entry_id AND e.status = 'draft'
  AND jsonb_array_length(e.draft_lines) = 2
  AND e.draft_lines -> 0 ->> 'account_id' = l.account_id::text""")
_CLEAR = text("""
UPDATE bank_lines b SET cleared_at = :at
FROM journal_entries e
WHERE b.org_id = :org_id AND b.account_id = :account_id AND b.line_date <= :through
  AND b.cleared_at IS NULL AND NOT b.removed
  AND e.org_id = b.org_id AND e.id = b.entry_id AND e.status = 'posted'""")
_REMOVE = text("""
WITH gone AS (
  UPDATE bank_lines SET removed = true
  WHERE org_id = :org_id AND id = ANY(CAST(:ids AS uuid[])) AND NOT removed
  RETURNING entry_id)
DELETE FROM journal_entries e USING gone
WHERE e.org_id = :org_id AND e.id = gone.entry_id AND e.status = 'draft'""")
_MODIFY = text("""
WITH change AS (
  SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:dates AS date[]),
                       CAST(:amounts AS numeric[]), CAST(:descriptions AS text[]),
                       CAST(:pending AS bool[]), CAST(:external_ids AS text[]))
    AS c(id, line_date, amount, description, pending, external_id)
),
lines AS (
  UPDATE bank_lines b SET line_date = c.line_date, amount = c.amount,
    description = left(c.description, 500), pending = c.pending,
    external_id = coalesce(c.external_id, b.external_id),
    dedupe_key = CASE WHEN c.external_id IS NULL THEN b.dedupe_key
                      ELSE format('id:%s:1', c.external_id) END
  FROM change c
  JOIN journal_entries e0 ON e0.org_id = :org_id AND e0.status = 'draft'
  WHERE b.org_id = :org_id AND b.id = c.id AND e0.id = b.entry_id
  RETURNING b.entry_id, c.line_date, c.amount, c.description)
UPDATE journal_entries e SET entry_date = l.line_date,
  draft_lines = jsonb_set(jsonb_set(jsonb_set(e.draft_lines,
    '{0,amount}', to_jsonb(l.amount::text)), '{1,amount}', to_jsonb((-l.amount)::text)),
    '{0,memo}', to_jsonb(left(l.description, 500)))
FROM lines l
WHERE e.org_id = :org_id AND e.id = l.entry_id AND e.status = 'draft'
  AND jsonb_array_length(e.draft_lines) = 2""")
_ENSURE_ACCOUNT = text("""
WITH added AS (
  INSERT INTO ledger_accounts (org_id, id, code, name, type, currency, archived, tags,
                               created_at)
  VALUES (:org_id, :id, :code, :name, :type, :currency, false, CAST(:tags AS jsonb), :at)
  ON CONFLICT (org_id, code) DO NOTHING
  RETURNING id)
SELECT id, true AS created FROM added
UNION ALL
SELECT id, false FROM ledger_accounts WHERE org_id = :org_id AND code = :code""")
_MARK_RUNNING = text("""
UPDATE bank_imports SET status = 'running', started_at = :at
WHERE org_id = :org_id AND id = :id AND status IN ('queued', 'running')
RETURNING id""")


@dataclass(frozen=True, slots=True)
class CategoryChange:
    line_id: UUID
    account_id: UUID
    source: str
    rule_id: UUID | None = None
    payee: str | None = None
    counterparty: str | None = None
    dimensions: dict[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    suggested_account_id: UUID | None = None
    confidence: Decimal | None = None


@dataclass(frozen=True, slots=True)
class LineEdit:
    line_id: UUID
    date: date
    amount: Decimal
    description: str
    pending: bool
    external_id: str | None = None
    """The bank's new id for the line (a pending transaction that posted): it becomes the
    line's dedupe key too."""


class ImportsRepository(AreaRepository):
    # Imports.

    async def add_import(self, row: BankImportRow) -> BankImportRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def import_row(
        self, import_id: UUID, *, for_update: bool = False
    ) -> BankImportRow | None:
        statement = select(BankImportRow).where(
            BankImportRow.org_id == self.org_id, BankImportRow.id == import_id
        )
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def mark_running(self, import_id: UUID, at: datetime) -> bool:
        found = await self.session.scalar(
            _MARK_RUNNING, {"org_id": self.org_id, "id": import_id, "at": at}
        )
        return found is not None

    async def ensure_account(
        self,
        *,
        new_id: UUID,
        code: str,
        name: str,
        type: str,
        currency: str,
        tags: dict[str, str],
        at: datetime,
    ) -> tuple[UUID, bool]:
        """The chart's account with ``code`` (created when missing): (id, created)."""
        row = (
            await self.session.execute(
                _ENSURE_ACCOUNT,
                {
                    "org_id": self.org_id,
                    "id": new_id,
                    "code": code,
                    "name": name,
                    "type": type,
                    "currency": currency,
                    "tags": json.dumps(tags),
                    "at": at,
                },
            )
        ).first()
        assert row is not None
        return row[0], bool(row[1])

    # Saved mappings.

    async def mapping(self, mapping_id: UUID) -> ImportCsvMappingRow | None:
        return (
            await self.session.execute(
                select(ImportCsvMappingRow).where(
                    ImportCsvMappingRow.org_id == self.org_id,
                    ImportCsvMappingRow.id == mapping_id,
                )
            )
        ).scalar_one_or_none()

    async def mapping_named(self, name: str) -> ImportCsvMappingRow | None:
        return (
            await self.session.execute(
                select(ImportCsvMappingRow).where(
                    ImportCsvMappingRow.org_id == self.org_id, ImportCsvMappingRow.name == name
                )
            )
        ).scalar_one_or_none()

    async def add_mapping(self, row: ImportCsvMappingRow) -> ImportCsvMappingRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def delete_mapping(self, mapping_id: UUID) -> None:
        await self.session.execute(
            delete(ImportCsvMappingRow).where(
                ImportCsvMappingRow.org_id == self.org_id, ImportCsvMappingRow.id == mapping_id
            )
        )

    # Bank connections.

    async def connection(
        self, connection_id: UUID, *, for_update: bool = False
    ) -> BankConnectionRow | None:
        statement = select(BankConnectionRow).where(
            BankConnectionRow.org_id == self.org_id, BankConnectionRow.id == connection_id
        )
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def connection_for_item(self, item_id: str) -> BankConnectionRow | None:
        return (
            await self.session.execute(
                select(BankConnectionRow).where(
                    BankConnectionRow.org_id == self.org_id, BankConnectionRow.item_id == item_id
                )
            )
        ).scalar_one_or_none()

    async def add_connection(self, row: BankConnectionRow) -> BankConnectionRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def delete_connection(self, connection_id: UUID) -> None:
        await self.session.execute(
            delete(BankConnectionRow).where(
                BankConnectionRow.org_id == self.org_id, BankConnectionRow.id == connection_id
            )
        )

    # Bank lines.

    async def recategorize(self, changes: Sequence[CategoryChange]) -> None:
        """Set each line's category (and what the rule says) and its draft entry's category
        line, in one statement. Posted entries never change."""
        if not changes:
            return
        await self.session.execute(
            _RECATEGORIZE,
            {
                "org_id": self.org_id,
                "ids": [c.line_id for c in changes],
                "accounts": [c.account_id for c in changes],
                "sources": [c.source for c in changes],
                "rules": [c.rule_id for c in changes],
                "payees": [c.payee for c in changes],
                "counterparties": [c.counterparty for c in changes],
                "dimensions": [json.dumps(c.dimensions) for c in changes],
                "tags": [
                    "{" + ",".join(json.dumps(t, ensure_ascii=False) for t in c.tags) + "}"
                    for c in changes
                ],
                "suggested": [c.suggested_account_id for c in changes],
                "confidences": [c.confidence for c in changes],
            },
        )

    async def clear_lines(self, account_id: UUID, through: date, at: datetime) -> int:
        result = await self.session.execute(
            _CLEAR, {"org_id": self.org_id, "account_id": account_id, "through": through, "at": at}
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def remove_lines(self, line_ids: Sequence[UUID]) -> None:
        """Lines the bank withdrew (Plaid ``removed``): flagged, their drafts deleted."""
        if line_ids:
            await self.session.execute(_REMOVE, {"org_id": self.org_id, "ids": list(line_ids)})

    async def modify_lines(self, edits: Sequence[LineEdit]) -> None:
        """Lines the bank changed (Plaid ``modified``), while their entries are drafts."""
        if not edits:
            return
        await self.session.execute(
            _MODIFY,
            {
                "org_id": self.org_id,
                "ids": [e.line_id for e in edits],
                "dates": [e.date for e in edits],
                "amounts": [e.amount for e in edits],
                "descriptions": [e.description for e in edits],
                "pending": [e.pending for e in edits],
                "external_ids": [e.external_id for e in edits],
            },
        )
