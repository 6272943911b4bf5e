"""Ledger writes (units of work): accounts, entries and lines, the derived summary, locks,
period closes, balance assertions. Reached lazily as ``uow.ledger``.

Posting is a handful of statements: lock (period shared, accounts exclusive, in one sorted
order), read the accounts and the closed-through date, insert the entry (and its audit
event), insert the lines and upsert both summaries (day and month) in one statement. Lines
travel as one JSON parameter, so the immutability trigger sees an entry's lines in a single
INSERT.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select, text, update

from fiscus.domain.ledger import Account, EntryStatus, JournalEntry, JournalLine
from fiscus.persistence.models.identity import AuditEventRow
from fiscus.persistence.models.ledger import (
    JournalEntryRow,
    LedgerAccountRow,
    LedgerBalanceAssertionRow,
    LedgerPeriodCloseRow,
)
from fiscus.persistence.repositories.base import AreaRepository

PERIOD_LOCK_SPACE = 0x4C454447  # "LEDG": the (int, int) advisory-lock space of period closes


def _int32(raw: bytes) -> int:
    return int.from_bytes(raw[:4], "big", signed=True)


def account_lock_keys(org_id: UUID, account_ids: Sequence[UUID]) -> tuple[int, list[int]]:
    """(class id, sorted object ids) of the accounts' advisory locks: every writer takes them
    in this one order, so writers sharing accounts queue instead of deadlocking."""
    return _int32(org_id.bytes), sorted({_int32(a.bytes) for a in account_ids})


_LOCK = text("""
    SELECT pg_advisory_xact_lock_shared(:space, :org_key),
           (SELECT count(pg_advisory_xact_lock(:org_key, k))
            FROM unnest(CAST(:keys AS integer[])) AS k)""")
_LOCK_PERIOD_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(:space, :org_key)")
_POSTING_CONTEXT = text("""
    SELECT a.id, a.code, a.name, a.type, a.currency, a.parent_id, a.archived, a.tags,
           (SELECT closed_through FROM ledger_period_closes
            WHERE org_id = :org_id ORDER BY seq DESC LIMIT 1) AS closed_through
    FROM ledger_accounts a
    WHERE a.org_id = :org_id AND a.id = ANY(CAST(:ids AS uuid[]))""")
_CLOSED_THROUGH = text("""
    SELECT closed_through FROM ledger_period_closes
    WHERE org_id = :org_id ORDER BY seq DESC LIMIT 1""")
_INSERT_ENTRY = text("""
    WITH entry AS (
      INSERT INTO journal_entries (org_id, id, entry_date, memo, status, reverses, posted_at,
                                   created_by, created_at, draft_lines)
      VALUES (:org_id, :id, :entry_date, :memo, :status, :reverses, :posted_at, :user_id,
              :at, CAST(:draft_lines AS jsonb))
      RETURNING 1),
    event AS (
      INSERT INTO audit_events (org_id, id, occurred_at, actor_user_id, action, subject_type,
                                subject_id, details)
      VALUES (:org_id, :event_id, :at, :user_id, :action, 'journal_entry', CAST(:id AS text),
              CAST(:details AS jsonb))
      RETURNING 1)
    SELECT (SELECT count(*) FROM entry) + (SELECT count(*) FROM event)""")
_INSERT_LINES = text("""
    WITH lines AS (
      INSERT INTO journal_lines (org_id, entry_id, line_no, account_id, entry_date, amount,
                                 currency, rate, dimensions, counterparty, memo)
      SELECT :org_id, :entry_id, r.line_no, r.account_id, :entry_date, r.amount, r.currency,
             r.rate, coalesce(r.dimensions, '{}'::jsonb), r.counterparty, r.memo
      FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
        line_no smallint, account_id uuid, amount numeric, currency text, rate numeric,
        dimensions jsonb, counterparty text, memo text)
      RETURNING account_id, currency, amount),
    summed AS (
      SELECT account_id, currency, sum(amount) AS amount, count(*) AS n
      FROM lines GROUP BY account_id, currency ORDER BY account_id, currency),
    days AS (
      INSERT INTO ledger_account_days AS d (org_id, account_id, currency, day, amount_sum,
                                            line_count)
      SELECT :org_id, account_id, currency, :entry_date, amount, n FROM summed
      ON CONFLICT (org_id, account_id, currency, day) DO UPDATE SET
        amount_sum = d.amount_sum + EXCLUDED.amount_sum,
        line_count = d.line_count + EXCLUDED.line_count
      RETURNING 1)
    INSERT INTO ledger_account_months AS m (org_id, account_id, currency, month, amount_sum,
                                            line_count)
    SELECT :org_id, account_id, currency, date_trunc('month', CAST(:entry_date AS date))::date,
           amount, n
    FROM summed
    ON CONFLICT (org_id, account_id, currency, month) DO UPDATE SET
      amount_sum = m.amount_sum + EXCLUDED.amount_sum,
      line_count = m.line_count + EXCLUDED.line_count""")
_MARK_POSTED = text("""
    UPDATE journal_entries SET status = 'posted', posted_at = :posted_at, draft_lines = NULL,
                               entry_date = :entry_date, memo = :memo
    WHERE org_id = :org_id AND id = :id AND status = 'draft'""")
_ENTRY_WITH_LINES = text("""
    SELECT e.id, e.entry_date, e.memo, e.status, e.reverses, e.posted_at, e.draft_lines,
           (SELECT r.id FROM journal_entries r
            WHERE r.org_id = e.org_id AND r.reverses = e.id) AS reversed_by,
           coalesce((SELECT jsonb_agg(jsonb_build_object(
                       'account_id', l.account_id, 'amount', l.amount::text,
                       'currency', l.currency, 'rate', l.rate::text,
                       'dimensions', l.dimensions, 'counterparty', l.counterparty,
                       'memo', l.memo) ORDER BY l.line_no)
                     FROM journal_lines l WHERE l.org_id = e.org_id AND l.entry_id = e.id),
                    '[]'::jsonb) AS lines
    FROM journal_entries e WHERE e.org_id = :org_id AND e.id = :id""")
_ENTRY_FOR_UPDATE = text(
    "SELECT 1 FROM journal_entries WHERE org_id = :org_id AND id = :id FOR UPDATE"
)


def lines_json(lines: Sequence[JournalLine]) -> str:
    return json.dumps(
        [
            {
                "line_no": i,
                "account_id": str(line.account_id),
                "amount": str(line.amount),
                "currency": line.currency,
                "rate": None if line.rate is None else str(line.rate),
                "dimensions": dict(line.dimensions),
                "counterparty": line.counterparty,
                "memo": line.memo,
            }
            for i, line in enumerate(lines)
        ]
    )


def lines_of(raw: Sequence[dict[str, Any]]) -> list[JournalLine]:
    return [
        JournalLine(
            UUID(str(r["account_id"])),
            Decimal(str(r["amount"])),
            r["currency"],
            dict(r.get("dimensions") or {}),
            r.get("counterparty"),
            r.get("memo"),
            None if r.get("rate") is None else Decimal(str(r["rate"])),
        )
        for r in raw
    ]


@dataclass(frozen=True, slots=True)
class PostingContext:
    accounts: dict[UUID, Account]
    closed_through: date | None


@dataclass(frozen=True, slots=True)
class StoredEntry:
    entry: JournalEntry
    reversed_by: UUID | None


class LedgerRepository(AreaRepository):
    # Accounts.

    async def account(
        self, account_id: UUID, *, for_update: bool = False
    ) -> LedgerAccountRow | None:
        statement = select(LedgerAccountRow).where(
            LedgerAccountRow.org_id == self.org_id, LedgerAccountRow.id == account_id
        )
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def accounts(self) -> list[LedgerAccountRow]:
        result = await self.session.execute(
            select(LedgerAccountRow).where(LedgerAccountRow.org_id == self.org_id)
        )
        return list(result.scalars().all())

    async def account_by_code(self, code: str) -> LedgerAccountRow | None:
        result = await self.session.execute(
            select(LedgerAccountRow).where(
                LedgerAccountRow.org_id == self.org_id, LedgerAccountRow.code == code
            )
        )
        return result.scalar_one_or_none()

    async def add_account(self, row: LedgerAccountRow) -> LedgerAccountRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def delete_account(self, account_id: UUID) -> None:
        await self.session.execute(
            delete(LedgerAccountRow).where(
                LedgerAccountRow.org_id == self.org_id, LedgerAccountRow.id == account_id
            )
        )

    async def account_has_lines(self, account_id: UUID) -> bool:
        found = await self.session.scalar(
            text(
                "SELECT EXISTS (SELECT FROM ledger_account_days WHERE org_id = :org_id"
                " AND account_id = :id) OR EXISTS (SELECT FROM ledger_accounts"
                " WHERE org_id = :org_id AND parent_id = :id)"
            ),
            {"org_id": self.org_id, "id": account_id},
        )
        return bool(found)

    # Posting.

    async def lock_for_posting(self, account_ids: Sequence[UUID]) -> None:
        """Period lock shared (closing takes it exclusively), then each account's lock in the
        one sorted order. Held until the transaction ends."""
        org_key, keys = account_lock_keys(self.org_id, account_ids)
        await self.session.execute(
            _LOCK, {"space": PERIOD_LOCK_SPACE, "org_key": org_key, "keys": keys}
        )

    async def lock_periods(self) -> None:
        org_key, _ = account_lock_keys(self.org_id, [])
        await self.session.execute(
            _LOCK_PERIOD_EXCLUSIVE, {"space": PERIOD_LOCK_SPACE, "org_key": org_key}
        )

    async def posting_context(self, account_ids: Sequence[UUID]) -> PostingContext:
        """The accounts asked for (of this organization only) and the closed-through date.
        Call after ``lock_for_posting``: this statement's snapshot then sees every close."""
        rows = (
            (
                await self.session.execute(
                    _POSTING_CONTEXT, {"org_id": self.org_id, "ids": list(set(account_ids))}
                )
            )
            .mappings()
            .all()
        )
        accounts = {r["id"]: _account(self.org_id, r) for r in rows}
        if rows:
            closed = rows[0]["closed_through"]
        else:
            closed = await self.closed_through()
        return PostingContext(accounts, closed)

    async def closed_through(self) -> date | None:
        found: date | None = await self.session.scalar(_CLOSED_THROUGH, {"org_id": self.org_id})
        return found

    async def insert_entry(
        self,
        entry: JournalEntry,
        *,
        user_id: UUID | None,
        at: datetime,
        action: str,
        details: dict[str, Any],
    ) -> AuditEventRow:
        """The entry row and its audit event in one statement; returns the event (unsaved
        object, for the activity payload)."""
        event = AuditEventRow(
            org_id=self.org_id,
            id=uuid.uuid4(),
            occurred_at=at,
            actor_user_id=user_id,
            action=action,
            subject_type="journal_entry",
            subject_id=str(entry.id),
            details=details,
        )
        draft = None if entry.status is EntryStatus.POSTED else lines_json(entry.lines)
        await self.session.execute(
            _INSERT_ENTRY,
            {
                "org_id": self.org_id,
                "id": entry.id,
                "entry_date": entry.entry_date,
                "memo": entry.memo,
                "status": entry.status.value,
                "reverses": entry.reverses,
                "posted_at": entry.posted_at,
                "user_id": user_id,
                "at": at,
                "draft_lines": draft,
                "event_id": event.id,
                "action": action,
                "details": json.dumps(details),
            },
        )
        return event

    async def insert_lines(self, entry: JournalEntry) -> None:
        """The posted entry's lines and the day and month summary rows they change, in one
        statement."""
        await self.session.execute(
            _INSERT_LINES,
            {
                "org_id": self.org_id,
                "entry_id": entry.id,
                "entry_date": entry.entry_date,
                "rows": lines_json(entry.lines),
            },
        )

    async def mark_posted(self, entry: JournalEntry) -> None:
        await self.session.execute(
            _MARK_POSTED,
            {
                "org_id": self.org_id,
                "id": entry.id,
                "posted_at": entry.posted_at,
                "entry_date": entry.entry_date,
                "memo": entry.memo,
            },
        )

    async def update_draft(self, entry: JournalEntry) -> None:
        await self.session.execute(
            update(JournalEntryRow)
            .where(
                JournalEntryRow.org_id == self.org_id,
                JournalEntryRow.id == entry.id,
                JournalEntryRow.status == "draft",
            )
            .values(
                entry_date=entry.entry_date,
                memo=entry.memo,
                draft_lines=json.loads(lines_json(entry.lines)),
            )
        )

    async def delete_draft(self, entry_id: UUID) -> None:
        await self.session.execute(
            delete(JournalEntryRow).where(
                JournalEntryRow.org_id == self.org_id,
                JournalEntryRow.id == entry_id,
                JournalEntryRow.status == "draft",
            )
        )

    async def entry(self, entry_id: UUID, *, for_update: bool = False) -> StoredEntry | None:
        if for_update:
            await self.session.execute(_ENTRY_FOR_UPDATE, {"org_id": self.org_id, "id": entry_id})
        row = (
            (await self.session.execute(_ENTRY_WITH_LINES, {"org_id": self.org_id, "id": entry_id}))
            .mappings()
            .first()
        )
        if row is None:
            return None
        status = EntryStatus(row["status"])
        raw = row["lines"] if status is EntryStatus.POSTED else (row["draft_lines"] or [])
        entry = JournalEntry(
            row["id"],
            self.org_id,
            row["entry_date"],
            row["memo"],
            lines_of(raw),
            status,
            row["reverses"],
            row["posted_at"],
        )
        return StoredEntry(entry, row["reversed_by"])

    # Periods and assertions.

    async def add_period_event(
        self, *, closed_through: date | None, action: str, user_id: UUID | None, at: datetime
    ) -> None:
        self.session.add(
            LedgerPeriodCloseRow(
                org_id=self.org_id,
                closed_through=closed_through,
                action=action,
                actor_user_id=user_id,
                at=at,
            )
        )
        await self.session.flush()

    async def balance(self, account_id: UUID, currency: str, through: date) -> Decimal:
        """Signed balance at the end of ``through``, from the summary."""
        found = await self.session.scalar(
            text(
                "SELECT coalesce(sum(amount_sum), 0) FROM ledger_account_days"
                " WHERE org_id = :org_id AND account_id = :id AND currency = :currency"
                " AND day <= :through"
            ),
            {"org_id": self.org_id, "id": account_id, "currency": currency, "through": through},
        )
        return Decimal(found or 0)

    async def add_assertion(self, row: LedgerBalanceAssertionRow) -> LedgerBalanceAssertionRow:
        self.session.add(row)
        await self.session.flush()
        return row


def _account(org_id: UUID, row: Any) -> Account:
    from fiscus.domain.ledger import AccountType

    return Account(
        row["id"],
        org_id,
        row["code"],
        row["name"],
        AccountType(row["type"]),
        row["currency"],
        row["parent_id"],
        row["archived"],
        dict(row["tags"] or {}),
    )
