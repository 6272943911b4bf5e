"""What every posting path shares: the line input, the fingerprinted request, lines resolved
against the locked chart, the open-period check, and the events sent after commit."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from fiscus.domain.errors import FieldIssue, RuleViolation, ValidationFailed
from fiscus.domain.identity import Permission, Role, role_allows
from fiscus.domain.ledger import Account, JournalEntry, JournalLine, needs_rates, normalize_tags
from fiscus.persistence.models.identity import AuditEventRow
from fiscus.persistence.repositories.ledger import PostingContext
from fiscus.realtime import channels
from fiscus.services.identity import audit


@dataclass(frozen=True, slots=True)
class LineInput:
    account_id: UUID
    amount: Decimal
    currency: str | None = None
    """Defaults to the account's currency; when given it must equal it."""
    dimensions: Mapping[str, str] = field(default_factory=dict)
    counterparty: str | None = None
    memo: str | None = None
    rate: Decimal | None = None


WRITE_ROLES = tuple(sorted(r.value for r in Role if role_allows(r, Permission.LEDGER_WRITE)))
"""Roles whose members may post (what a posting confirms a caller's session against)."""


class AccessRefused(Exception):
    """The posting's own transaction found the caller's session ended, or the caller's role
    no longer allowing it; nothing was written."""

    def __init__(self, *, session_ended: bool) -> None:
        super().__init__("session ended" if session_ended else "role does not allow posting")
        self.session_ended = session_ended


@dataclass(frozen=True, slots=True)
class Posted:
    entry: JournalEntry
    replayed: bool = False
    """True when an earlier request with the same idempotency key did the work."""


class Publishes(Protocol):
    def publish(self, channel: Any, payload: dict[str, Any]) -> None: ...


def clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def request_of(entry_date: date, memo: str | None, lines: Sequence[LineInput], draft: bool) -> Any:
    """What an entry's idempotency fingerprint covers."""
    return {
        "date": entry_date.isoformat(),
        "memo": memo,
        "draft": draft,
        "lines": [
            {
                "account": str(line.account_id),
                "amount": str(line.amount.normalize()) if line.amount.is_finite() else "nan",
                "currency": line.currency,
                "dimensions": dict(line.dimensions),
                "counterparty": line.counterparty,
                "memo": line.memo,
                "rate": None if line.rate is None else str(line.rate.normalize()),
            }
            for line in lines
        ],
    }


def dimensions_of(lines: Sequence[LineInput]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    issues: list[FieldIssue] = []
    for i, line in enumerate(lines):
        try:
            out.append(normalize_tags(line.dimensions, field_name=f"lines[{i}].dimensions"))
        except ValidationFailed as failure:
            issues.extend(failure.issues)
            out.append({})
    if issues:
        raise ValidationFailed(issues)
    return out


def resolve_lines(lines: Sequence[LineInput], context: PostingContext) -> list[JournalLine]:
    """Lines against the locked chart: unknown (or other organizations') accounts,
    archived accounts and currencies other than the account's are row errors."""
    dimensions = dimensions_of(lines)
    issues: list[FieldIssue] = []
    resolved: list[JournalLine] = []
    for i, line in enumerate(lines):
        account: Account | None = context.accounts.get(line.account_id)
        currency = (line.currency or "").strip().upper() or None
        if account is None:
            issues.append(FieldIssue(f"lines[{i}].accountId", "NOT_FOUND", "No such account."))
            continue
        if account.archived:
            issues.append(
                FieldIssue(
                    f"lines[{i}].accountId",
                    "ACCOUNT_ARCHIVED",
                    f"Account {account.code} is archived and takes no postings.",
                )
            )
        if currency is not None and currency != account.currency:
            issues.append(
                FieldIssue(
                    f"lines[{i}].currency",
                    "CURRENCY_MISMATCH",
                    f"Account {account.code} is kept in {account.currency}, not {currency}.",
                )
            )
        resolved.append(
            JournalLine(
                account.id,
                line.amount,
                account.currency,
                dimensions[i],
                clean_text(line.counterparty),
                clean_text(line.memo),
                line.rate,
            )
        )
    if issues:
        raise ValidationFailed(issues)
    rates = needs_rates(resolved)
    if rates:
        raise ValidationFailed(rates)
    return resolved


def check_open(context: PostingContext, entry_date: date, field_name: str = "date") -> None:
    if context.closed_through is not None and entry_date <= context.closed_through:
        raise RuleViolation(
            "PERIOD_CLOSED",
            f"The books are closed through {context.closed_through.isoformat()}; "
            "post into an open period or reopen it.",
            field_name,
        )


def unchecked_lines(lines: Sequence[LineInput]) -> list[JournalLine]:
    return [
        JournalLine(line.account_id, line.amount, (line.currency or "").upper(), rate=line.rate)
        for line in lines
    ]


def details_of(entry: JournalEntry) -> dict[str, Any]:
    details: dict[str, Any] = {
        "date": entry.entry_date.isoformat(),
        "lines": len(entry.lines),
        "status": entry.status.value,
    }
    if entry.reverses is not None:
        details["reverses"] = str(entry.reverses)
    return details


def posted_event(
    entry: JournalEntry,
    *,
    user_id: UUID | None,
    action: str,
    event_id: UUID | None = None,
) -> AuditEventRow:
    """The audit event of a posting (an unsaved object, for the activity payload)."""
    assert entry.posted_at is not None
    return AuditEventRow(
        org_id=entry.org_id,
        id=event_id or uuid.uuid4(),
        occurred_at=entry.posted_at,
        actor_user_id=user_id,
        action=action,
        subject_type="journal_entry",
        subject_id=str(entry.id),
        details=details_of(entry),
    )


def announce(unit: Publishes, entry: JournalEntry, event: AuditEventRow) -> None:
    announce_payload(unit, entry, audit.activity_payload(event))


def announce_posted(
    unit: Publishes, entry: JournalEntry, *, event_id: UUID, user_id: UUID | None, action: str
) -> None:
    """As ``announce``, for an event written by SQL (no ORM object on the hot path)."""
    assert entry.posted_at is not None
    activity = {
        "id": str(event_id),
        "org_id": str(entry.org_id),
        "occurred_at": entry.posted_at.isoformat(),
        "actor_user_id": str(user_id) if user_id else None,
        "action": action,
        "subject_type": "journal_entry",
        "subject_id": str(entry.id),
        "details": details_of(entry),
    }
    announce_payload(unit, entry, activity)


def announce_payload(unit: Publishes, entry: JournalEntry, activity: dict[str, Any]) -> None:
    unit.publish(channels.org_activity(entry.org_id), activity)
    unit.publish(
        channels.ledger_activity(entry.org_id),
        {
            "entry_id": str(entry.id),
            "date": entry.entry_date.isoformat(),
            "reverses": str(entry.reverses) if entry.reverses else None,
            "lines": len(entry.lines),
            "posted_at": entry.posted_at.isoformat() if entry.posted_at else None,
        },
    )
