"""Posting the sub-ledger's entries in the use case's own transaction.

Every entry of a use case goes to ``fiscus_ledger_post`` in one statement (the ledger's
locks, checks, audit event per entry, lines and summaries); each claims an internal key
(``receivables.entry`` / the entry id) the ledger function requires. When the ledger
refuses (an archived account, another currency, a closed period) nothing was written:
the problem is named on the use case's own input field, and the unit rolls back. After
commit every entry is announced on ``ledgerActivity`` like any posting.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.ledger import EntryStatus, JournalEntry, JournalLine
from fiscus.persistence.models.identity import AuditEventRow
from fiscus.persistence.repositories.ledger import PostingContext
from fiscus.persistence.repositories.ledger_posting import EntryToPost
from fiscus.persistence.uow import UnitOfWork
from fiscus.realtime import channels
from fiscus.services import idempotency
from fiscus.services.identity import audit
from fiscus.services.ledger.rules import announce_posted, check_open, details_of

ENTRY_SCOPE = "receivables.entry"


@dataclass(frozen=True, slots=True)
class LedgerWrite:
    entry: JournalEntry
    action: str
    line_fields: Mapping[int, str] = field(default_factory=dict)
    """Which input field each line's account came from (for errors)."""
    date_field: str = "date"


def new_entry(
    org_id: UUID,
    day: date,
    memo: str | None,
    lines: Sequence[JournalLine],
    now: datetime,
    *,
    reverses: UUID | None = None,
    entry_id: UUID | None = None,
) -> JournalEntry:
    return JournalEntry(
        entry_id or uuid.uuid4(),
        org_id,
        day,
        memo[:500] if memo else memo,
        list(lines),
        EntryStatus.POSTED,
        reverses,
        now,
    )


def reversal(
    entry_id: UUID, org_id: UUID, day: date, memo: str, lines: Sequence[JournalLine], now: datetime
) -> JournalEntry:
    """The mirror of the entry whose lines were ``lines``, linked to it."""
    mirrored = [replace(line, amount=-line.amount) for line in lines]
    return new_entry(org_id, day, memo, mirrored, now, reverses=entry_id)


def _explain(context: PostingContext, writes: Sequence[LedgerWrite]) -> None:
    issues: list[FieldIssue] = []
    for write in writes:
        for i, line in enumerate(write.entry.lines):
            name = write.line_fields.get(i, "accountId")
            account = context.accounts.get(line.account_id)
            if account is None:
                issues.append(FieldIssue(name, "NOT_FOUND", "No such account."))
            elif account.archived:
                issues.append(
                    FieldIssue(
                        name,
                        "ACCOUNT_ARCHIVED",
                        f"Account {account.code} is archived and takes no postings.",
                    )
                )
            elif account.currency != line.currency:
                issues.append(
                    FieldIssue(
                        name,
                        "CURRENCY_MISMATCH",
                        f"Account {account.code} is kept in {account.currency}, "
                        f"not {line.currency}.",
                    )
                )
        if issues:
            raise ValidationFailed(_unique(issues))
        check_open(context, write.entry.entry_date, write.date_field)
    raise RuntimeError("fiscus_ledger_post refused entries the sub-ledger's rules accept")


def _unique(issues: list[FieldIssue]) -> list[FieldIssue]:
    seen: set[tuple[str | None, str]] = set()
    out: list[FieldIssue] = []
    for issue in issues:
        if (issue.field, issue.code) not in seen:
            seen.add((issue.field, issue.code))
            out.append(issue)
    return out


async def post(
    uow: UnitOfWork, user_id: UUID | None, writes: Sequence[LedgerWrite], now: datetime
) -> None:
    """Posts every entry (one statement) or raises naming the field; the entries are
    announced after the unit commits."""
    if not writes:
        return
    items = [
        EntryToPost(
            w.entry,
            ENTRY_SCOPE,
            str(w.entry.id),
            idempotency.fingerprint({"entry": str(w.entry.id)}),
            uuid.uuid4(),
            w.action,
            details_of(w.entry),
        )
        for w in writes
    ]
    outcome = await uow.receivables.post(items, user_id=user_id, at=now)
    if not outcome.posted:
        assert outcome.context is not None
        _explain(outcome.context, writes)
    for item in items:
        announce_posted(
            uow, item.entry, event_id=item.event_id, user_id=user_id, action=item.action
        )


def event(
    org_id: UUID,
    user_id: UUID | None,
    *,
    action: str,
    subject_type: str,
    subject_id: UUID,
    at: datetime,
    details: dict[str, Any],
) -> AuditEventRow:
    return AuditEventRow(
        org_id=org_id,
        id=uuid.uuid4(),
        occurred_at=at,
        actor_user_id=user_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        details=details,
    )


async def record_events(uow: UnitOfWork, events: Sequence[AuditEventRow]) -> None:
    """Writes the audit events (one statement) and publishes them after commit."""
    await uow.receivables.add_events(events)
    for row in events:
        uow.publish(channels.org_activity(row.org_id), audit.activity_payload(row))
