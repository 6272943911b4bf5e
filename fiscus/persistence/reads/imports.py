"""Bank import reads: imports and their rows, bank lines (with their entry's status), rules,
saved mappings, bank connections, the suggestion model, training labels, and the line sets
recurring detection and segments work on. Every statement filters by ``org_id`` as well as
through RLS."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text

from fiscus.domain.categorization import LineFacts, Rule
from fiscus.domain.categorization.rules import actions_from_json, conditions_from_json
from fiscus.domain.imports import StatementBalance
from fiscus.domain.imports.records import (
    BankImport,
    BankLine,
    CategorySource,
    ImportFailure,
    ImportNote,
    ImportRow,
    ImportStatus,
    RowOutcome,
)
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.repositories import ReadRepository


def _joined(*parts: str) -> str:
    """SQL assembled from this module's constants only (values are always bound)."""
    return " ".join(parts)


_IMPORT_COLUMNS = """
  i.id, i.account_id, i.source, i.status, i.format, i.file_name, i.created_at, i.created_by,
  i.connection_id, i.failure, i.rows, i.created_count, i.duplicate_count, i.skipped_count,
  i.failed_count, i.warning_count, i.ending_balance, i.ending_balance_date, i.started_at,
  i.finished_at, i.notes"""
_IMPORTS_BY_IDS = ReadQuery.of(
    text(
        _joined(
            "SELECT",
            _IMPORT_COLUMNS,
            "FROM bank_imports i WHERE i.org_id = :org_id AND i.id = ANY(CAST(:ids AS uuid[]))",
        )
    )
)
_IMPORTS_PAGE = ReadQuery.of(
    text(
        _joined(
            "SELECT",
            _IMPORT_COLUMNS,
            """FROM bank_imports i
    WHERE i.org_id = :org_id
      AND (CAST(:account_id AS uuid) IS NULL OR i.account_id = CAST(:account_id AS uuid))
      AND (CAST(:after_at AS timestamptz) IS NULL
           OR (i.created_at, i.id) < (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid)))
    ORDER BY i.created_at DESC, i.id DESC
    LIMIT :limit""",
        )
    )
)
_ROWS = ReadQuery.of(
    text("""
    SELECT r.import_id, r.line_no, r.outcome, r.line_id, r.code, r.field, r.message
    FROM bank_import_rows r
    WHERE r.org_id = :org_id AND r.import_id = :import_id AND r.line_no > :after
      AND (CAST(:outcomes AS text[]) IS NULL OR r.outcome = ANY(CAST(:outcomes AS text[])))
    ORDER BY r.line_no
    LIMIT :limit""")
)
_PROBLEMS = ReadQuery.of(
    text("""
    SELECT p.import_id, p.line_no, p.outcome, p.line_id, p.code, p.field, p.message
    FROM unnest(CAST(:ids AS uuid[])) AS x(id)
    CROSS JOIN LATERAL (
      SELECT r.* FROM bank_import_rows r
      WHERE r.org_id = :org_id AND r.import_id = x.id AND r.code IS NOT NULL
      ORDER BY r.line_no LIMIT :limit) p""")
)
_LINE_COLUMNS = """
  b.id, b.account_id, b.import_id, b.line_date, b.amount, b.currency, b.description, b.payee,
  b.category_source, b.entry_id, e.status AS entry_status, b.posted_date, b.memo,
  b.external_id, b.kind, b.bank_category, b.check_number, b.card, b.pending, b.balance,
  b.category_account_id, b.rule_id, b.suggested_account_id, b.confidence, b.counterparty,
  b.dimensions, b.tags, b.removed, b.cleared_at"""
_LINE_FROM = """
  FROM bank_lines b
  LEFT JOIN journal_entries e ON e.org_id = b.org_id AND e.id = b.entry_id"""
_LINES_BY_IDS = ReadQuery.of(
    text(
        _joined(
            "SELECT",
            _LINE_COLUMNS,
            _LINE_FROM,
            "WHERE b.org_id = :org_id AND b.id = ANY(CAST(:ids AS uuid[]))",
        )
    )
)
_LINES_PAGE = ReadQuery.of(
    text(
        _joined(
            "SELECT",
            _LINE_COLUMNS,
            _LINE_FROM,
            """WHERE b.org_id = :org_id AND NOT b.removed
      AND (CAST(:account_id AS uuid) IS NULL OR b.account_id = CAST(:account_id AS uuid))
      AND (CAST(:import_id AS uuid) IS NULL OR b.import_id = CAST(:import_id AS uuid))
      AND (NOT :uncategorized OR b.category_source IN ('uncategorized', 'suggestion'))
      AND (NOT :unposted OR e.status = 'draft')
      AND (CAST(:from_day AS date) IS NULL OR b.line_date >= CAST(:from_day AS date))
      AND (CAST(:to_day AS date) IS NULL OR b.line_date <= CAST(:to_day AS date))
      AND (CAST(:search AS text) IS NULL OR b.payee ILIKE CAST(:search AS text)
           OR b.description ILIKE CAST(:search AS text))
      AND (CAST(:after_day AS date) IS NULL
           OR (b.line_date, b.id) < (CAST(:after_day AS date), CAST(:after_id AS uuid)))
    ORDER BY b.line_date DESC, b.id DESC
    LIMIT :limit""",
        )
    )
)
_UNPOSTED_FACTS = ReadQuery.of(
    text("""
    SELECT b.id, b.account_id, b.line_date, b.amount, b.description, b.payee, b.entry_id,
           b.category_source, b.category_account_id, b.currency
    FROM bank_lines b
    JOIN journal_entries e ON e.org_id = b.org_id AND e.id = b.entry_id AND e.status = 'draft'
    WHERE b.org_id = :org_id AND NOT b.removed
      AND (CAST(:account_id AS uuid) IS NULL OR b.account_id = CAST(:account_id AS uuid))
      AND (CAST(:ids AS uuid[]) IS NULL OR b.id = ANY(CAST(:ids AS uuid[])))
    ORDER BY b.line_date DESC, b.id DESC
    LIMIT :limit""")
)
_RECENT_FACTS = ReadQuery.of(
    text("""
    SELECT b.id, b.account_id, b.line_date, b.amount, b.description, b.payee, b.entry_id,
           b.category_source, b.category_account_id, b.currency
    FROM bank_lines b
    WHERE b.org_id = :org_id AND NOT b.removed
    ORDER BY b.line_date DESC, b.id DESC
    LIMIT :limit""")
)
# A label is a line categorized by a rule, by hand or by an accepted suggestion, or whose
# entry was posted (then the posted entry's other account is the truth); never the
# Uncategorized account.
_LABELS = ReadQuery.of(
    text("""
    SELECT b.line_date, b.amount, b.description, b.payee, b.account_id,
           coalesce(p.account_id, b.category_account_id) AS category
    FROM bank_lines b
    LEFT JOIN journal_entries e ON e.org_id = b.org_id AND e.id = b.entry_id
    LEFT JOIN LATERAL (
      SELECT l.account_id FROM journal_lines l
      WHERE e.status = 'posted' AND l.org_id = b.org_id AND l.entry_id = b.entry_id
        AND l.account_id <> b.account_id
      ORDER BY l.line_no LIMIT 1) p ON true
    JOIN ledger_accounts a
      ON a.org_id = b.org_id AND a.id = coalesce(p.account_id, b.category_account_id)
    WHERE b.org_id = :org_id AND NOT b.removed
      AND (b.category_source IN ('rule', 'accepted', 'manual') OR e.status = 'posted')
      AND coalesce(a.tags ->> 'role', '') <> 'uncategorized'
    ORDER BY b.line_date DESC, b.id DESC
    LIMIT :limit""")
)
_BY_EXTERNAL_IDS = ReadQuery.of(
    text("""
    SELECT b.id, b.account_id, b.external_id, e.status AS entry_status
    FROM bank_lines b
    LEFT JOIN journal_entries e ON e.org_id = b.org_id AND e.id = b.entry_id
    WHERE b.org_id = :org_id AND b.external_id = ANY(CAST(:external_ids AS text[]))
      AND b.account_id = ANY(CAST(:account_ids AS uuid[])) AND NOT b.removed""")
)
_CONNECTION_FOR_ITEM = ReadQuery.of(
    text("SELECT org_id, connection_id FROM fiscus_bank_connection_for_item(:item_id)")
)
_LABEL_COUNT = ReadQuery.of(
    text("""
    SELECT count(*) FROM bank_lines b
    LEFT JOIN journal_entries e ON e.org_id = b.org_id AND e.id = b.entry_id
    LEFT JOIN ledger_accounts a ON a.org_id = b.org_id AND a.id = b.category_account_id
    WHERE b.org_id = :org_id AND NOT b.removed
      AND (b.category_source IN ('rule', 'accepted', 'manual') OR e.status = 'posted')
      AND coalesce(a.tags ->> 'role', '') <> 'uncategorized'""")
)
_SERIES_INPUTS = ReadQuery.of(
    text("""
    SELECT b.id, b.account_id, b.payee, b.line_date, b.amount, b.category_account_id
    FROM bank_lines b
    WHERE b.org_id = :org_id AND NOT b.removed AND b.line_date >= :since
      AND (CAST(:account_id AS uuid) IS NULL OR b.account_id = CAST(:account_id AS uuid))
    ORDER BY b.line_date, b.id""")
)
_DRAFT_SUM = ReadQuery.of(
    text("""
    SELECT coalesce(sum(b.amount), 0) FROM bank_lines b
    JOIN journal_entries e ON e.org_id = b.org_id AND e.id = b.entry_id AND e.status = 'draft'
    WHERE b.org_id = :org_id AND b.account_id = :account_id AND b.line_date <= :through
      AND NOT b.removed""")
)
_RULES = ReadQuery.of(
    text("""
    SELECT id, name, position, enabled, conditions, actions FROM categorization_rules
    WHERE org_id = :org_id ORDER BY position, id""")
)
_MAPPINGS = ReadQuery.of(
    text("""
    SELECT id, name, mapping, created_at FROM import_csv_mappings
    WHERE org_id = :org_id ORDER BY name""")
)
_CONNECTIONS = ReadQuery.of(
    text("""
    SELECT id, provider, item_id, institution_name, accounts, status, last_synced_at,
           last_error, created_at
    FROM bank_connections WHERE org_id = :org_id ORDER BY created_at, id""")
)
_MODEL_META = ReadQuery.of(
    text("""
    SELECT version, trained_at, labels, held_out, accuracy, classes, training_seconds
    FROM categorization_models WHERE org_id = :org_id""")
)
_MODEL_BLOB = ReadQuery.of(
    text("SELECT trained_at, model FROM categorization_models WHERE org_id = :org_id")
)


@dataclass(frozen=True, slots=True)
class CsvMappingRecord:
    id: UUID
    name: str
    mapping: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    id: UUID
    provider: str
    item_id: str
    institution_name: str | None
    accounts: dict[str, str]
    status: str
    last_synced_at: datetime | None
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ModelRecord:
    version: int
    trained_at: datetime
    labels: int
    held_out: int
    accuracy: Decimal | None
    classes: int
    training_seconds: Decimal


@dataclass(frozen=True, slots=True)
class LineFactsRecord:
    id: UUID
    facts: LineFacts
    entry_id: UUID | None
    category_source: CategorySource
    category_account_id: UUID | None
    currency: str


@dataclass(frozen=True, slots=True)
class SeriesInput:
    id: UUID
    account_id: UUID
    payee: str
    date: date
    amount: Decimal
    category_account_id: UUID | None


def import_of(r: Any) -> BankImport:
    failure = r["failure"]
    ending = (
        StatementBalance(r["ending_balance"], r["ending_balance_date"])
        if r["ending_balance"] is not None
        else None
    )
    return BankImport(
        id=r["id"],
        account_id=r["account_id"],
        source=r["source"],
        status=ImportStatus(r["status"]),
        format=r["format"],
        file_name=r["file_name"],
        created_at=r["created_at"],
        created_by=r["created_by"],
        connection_id=r["connection_id"],
        failure=ImportFailure(failure.get("field"), failure["code"], failure["message"])
        if failure
        else None,
        rows=r["rows"],
        created=r["created_count"],
        duplicates=r["duplicate_count"],
        skipped=r["skipped_count"],
        failed=r["failed_count"],
        warnings=r["warning_count"],
        ending_balance=ending,
        started_at=r["started_at"],
        finished_at=r["finished_at"],
        notes=tuple(
            ImportNote(n["line"], n["code"], n.get("field"), n["message"]) for n in r["notes"] or []
        ),
    )


def row_of(r: Any) -> ImportRow:
    return ImportRow(
        r["import_id"],
        r["line_no"],
        RowOutcome(r["outcome"]),
        r["line_id"],
        r["code"],
        r["field"],
        r["message"],
    )


def line_of(r: Any) -> BankLine:
    return BankLine(
        id=r["id"],
        account_id=r["account_id"],
        import_id=r["import_id"],
        date=r["line_date"],
        amount=r["amount"],
        currency=r["currency"],
        description=r["description"],
        payee=r["payee"],
        category_source=CategorySource(r["category_source"]),
        entry_id=r["entry_id"],
        entry_status=r["entry_status"],
        posted_date=r["posted_date"],
        memo=r["memo"],
        external_id=r["external_id"],
        kind=r["kind"],
        bank_category=r["bank_category"],
        check_number=r["check_number"],
        card=r["card"],
        pending=r["pending"],
        balance=r["balance"],
        category_account_id=r["category_account_id"],
        rule_id=r["rule_id"],
        suggested_account_id=r["suggested_account_id"],
        confidence=r["confidence"],
        counterparty=r["counterparty"],
        dimensions=dict(r["dimensions"] or {}),
        tags=tuple(r["tags"] or ()),
        removed=r["removed"],
        cleared_at=r["cleared_at"],
    )


def rule_of(r: Any) -> Rule:
    return Rule(
        r["id"],
        r["name"],
        r["position"],
        r["enabled"],
        conditions_from_json(r["conditions"]),
        actions_from_json(r["actions"]),
    )


def _facts(r: Any) -> LineFactsRecord:
    return LineFactsRecord(
        r["id"],
        LineFacts(r["description"], r["payee"], r["amount"], r["account_id"], r["line_date"]),
        r["entry_id"],
        CategorySource(r["category_source"]),
        r["category_account_id"],
        r["currency"],
    )


@dataclass(frozen=True, slots=True)
class LineFilters:
    account_id: UUID | None = None
    import_id: UUID | None = None
    uncategorized: bool = False
    unposted: bool = False
    from_day: date | None = None
    to_day: date | None = None
    search: str | None = None
    after: tuple[date, UUID] | None = None


class ImportsReads(ReadRepository):
    async def imports_by_ids(self, ids: Sequence[UUID]) -> list[BankImport]:
        if not ids:
            return []
        rows = await self.fetch(_IMPORTS_BY_IDS, org_id=self.org_id, ids=list(ids))
        return [import_of(r) for r in rows]

    async def imports_page(
        self, *, account_id: UUID | None, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[BankImport]:
        rows = await self.fetch(
            _IMPORTS_PAGE,
            org_id=self.org_id,
            account_id=account_id,
            after_at=after[0] if after else None,
            after_id=after[1] if after else None,
            limit=limit,
        )
        return [import_of(r) for r in rows]

    async def import_rows(
        self,
        import_id: UUID,
        *,
        outcomes: Sequence[str] | None,
        after_line: int,
        limit: int,
    ) -> list[ImportRow]:
        rows = await self.fetch(
            _ROWS,
            org_id=self.org_id,
            import_id=import_id,
            outcomes=list(outcomes) if outcomes else None,
            after=after_line,
            limit=limit,
        )
        return [row_of(r) for r in rows]

    async def problems(self, import_ids: Sequence[UUID], *, limit: int) -> list[ImportRow]:
        rows = await self.fetch(_PROBLEMS, org_id=self.org_id, ids=list(import_ids), limit=limit)
        return [row_of(r) for r in rows]

    async def lines_by_ids(self, ids: Sequence[UUID]) -> list[BankLine]:
        if not ids:
            return []
        rows = await self.fetch(_LINES_BY_IDS, org_id=self.org_id, ids=list(ids))
        return [line_of(r) for r in rows]

    async def lines_page(self, filters: LineFilters, *, limit: int) -> list[BankLine]:
        rows = await self.fetch(
            _LINES_PAGE,
            org_id=self.org_id,
            account_id=filters.account_id,
            import_id=filters.import_id,
            uncategorized=filters.uncategorized,
            unposted=filters.unposted,
            from_day=filters.from_day,
            to_day=filters.to_day,
            search=f"%{filters.search}%" if filters.search else None,
            after_day=filters.after[0] if filters.after else None,
            after_id=filters.after[1] if filters.after else None,
            limit=limit,
        )
        return [line_of(r) for r in rows]

    async def unposted_facts(
        self, *, account_id: UUID | None, ids: Sequence[UUID] | None, limit: int
    ) -> list[LineFactsRecord]:
        rows = await self.fetch(
            _UNPOSTED_FACTS,
            org_id=self.org_id,
            account_id=account_id,
            ids=list(ids) if ids is not None else None,
            limit=limit,
        )
        return [_facts(r) for r in rows]

    async def recent_facts(self, *, limit: int) -> list[LineFactsRecord]:
        return [_facts(r) for r in await self.fetch(_RECENT_FACTS, org_id=self.org_id, limit=limit)]

    async def labels(self, *, limit: int) -> list[tuple[LineFacts, UUID]]:
        rows = await self.fetch(_LABELS, org_id=self.org_id, limit=limit)
        return [
            (
                LineFacts(
                    r["description"], r["payee"], r["amount"], r["account_id"], r["line_date"]
                ),
                r["category"],
            )
            for r in rows
        ]

    async def lines_by_external_ids(
        self, account_ids: Sequence[UUID], external_ids: Sequence[str]
    ) -> dict[str, tuple[UUID, UUID, str | None]]:
        """external id -> (line, account, its entry's status) of lines not removed."""
        if not external_ids:
            return {}
        rows = await self.fetch(
            _BY_EXTERNAL_IDS,
            org_id=self.org_id,
            external_ids=list(external_ids),
            account_ids=list(account_ids),
        )
        return {r["external_id"]: (r["id"], r["account_id"], r["entry_status"]) for r in rows}

    async def connection_for_item(self, item_id: str) -> tuple[UUID, UUID] | None:
        """(organization, connection) of a Plaid item, across tenants: the only read that
        runs before the tenant is known (a SECURITY DEFINER function answers it)."""
        row = await self.fetchrow(_CONNECTION_FOR_ITEM, item_id=item_id)
        return None if row is None else (row["org_id"], row["connection_id"])

    async def label_count(self) -> int:
        """About as many lines as ``labels`` finds (posted entries counted by the line's
        own category): what decides a retraining."""
        return int(await self.fetchval(_LABEL_COUNT, org_id=self.org_id) or 0)

    async def series_inputs(self, *, since: date, account_id: UUID | None) -> list[SeriesInput]:
        rows = await self.fetch(
            _SERIES_INPUTS, org_id=self.org_id, since=since, account_id=account_id
        )
        return [
            SeriesInput(
                r["id"],
                r["account_id"],
                r["payee"],
                r["line_date"],
                r["amount"],
                r["category_account_id"],
            )
            for r in rows
        ]

    async def draft_sum(self, account_id: UUID, through: date) -> Decimal:
        found = await self.fetchval(
            _DRAFT_SUM, org_id=self.org_id, account_id=account_id, through=through
        )
        return Decimal(found or 0)

    async def rules(self) -> list[Rule]:
        return [rule_of(r) for r in await self.fetch(_RULES, org_id=self.org_id)]

    async def mappings(self) -> list[CsvMappingRecord]:
        return [
            CsvMappingRecord(r["id"], r["name"], dict(r["mapping"]), r["created_at"])
            for r in await self.fetch(_MAPPINGS, org_id=self.org_id)
        ]

    async def connections(self) -> list[ConnectionRecord]:
        return [
            ConnectionRecord(
                r["id"],
                r["provider"],
                r["item_id"],
                r["institution_name"],
                dict(r["accounts"] or {}),
                r["status"],
                r["last_synced_at"],
                r["last_error"],
                r["created_at"],
            )
            for r in await self.fetch(_CONNECTIONS, org_id=self.org_id)
        ]

    async def model(self) -> ModelRecord | None:
        r = await self.fetchrow(_MODEL_META, org_id=self.org_id)
        if r is None:
            return None
        return ModelRecord(
            r["version"],
            r["trained_at"],
            r["labels"],
            r["held_out"],
            r["accuracy"],
            r["classes"],
            r["training_seconds"],
        )

    async def model_blob(self) -> tuple[datetime, bytes] | None:
        r = await self.fetchrow(_MODEL_BLOB, org_id=self.org_id)
        return None if r is None else (r["trained_at"], bytes(r["model"]))
