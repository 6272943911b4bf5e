"""Posting, drafts and reversals: one transaction each, idempotent by key.

A posting claims its idempotency key, takes the period lock (shared) and the accounts'
locks (sorted), checks every line against the locked chart and the closed period, then
writes the entry, its audit event, its lines and the summary rows. Events go out after
commit: ``org:{id}:activity`` (the audit event) and ``org:{id}:ledger`` (the entry).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import (
    Account,
    EntryStatus,
    JournalEntry,
    JournalLine,
    needs_rates,
    normalize_tags,
)
from fiscus.persistence.models.identity import AuditEventRow
from fiscus.persistence.repositories.ledger import PostingContext
from fiscus.persistence.uow import UnitOfWork
from fiscus.realtime import channels
from fiscus.services import idempotency
from fiscus.services.identity import audit
from fiscus.services.ledger.context import LedgerContext

POST_SCOPE = "ledger.post_entry"
REVERSE_SCOPE = "ledger.reverse_entry"
POST_DRAFT_SCOPE = "ledger.post_draft"


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


@dataclass(frozen=True, slots=True)
class Posted:
    entry: JournalEntry
    replayed: bool = False
    """True when an earlier request with the same idempotency key did the work."""


def _clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def _request(entry_date: date, memo: str | None, lines: Sequence[LineInput], draft: bool) -> Any:
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


def _dimensions(lines: Sequence[LineInput]) -> list[dict[str, str]]:
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
    dimensions = _dimensions(lines)
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
                _clean_text(line.counterparty),
                _clean_text(line.memo),
                line.rate,
            )
        )
    if issues:
        raise ValidationFailed(issues)
    rates = needs_rates(resolved)
    if rates:
        raise ValidationFailed(rates)
    return resolved


def _check_open(context: PostingContext, entry_date: date, field_name: str = "date") -> None:
    if context.closed_through is not None and entry_date <= context.closed_through:
        raise RuleViolation(
            "PERIOD_CLOSED",
            f"The books are closed through {context.closed_through.isoformat()}; "
            "post into an open period or reopen it.",
            field_name,
        )


def _unchecked_lines(lines: Sequence[LineInput]) -> list[JournalLine]:
    return [
        JournalLine(line.account_id, line.amount, (line.currency or "").upper(), rate=line.rate)
        for line in lines
    ]


async def post_journal_entry(
    ctx: LedgerContext,
    principal: Principal,
    *,
    entry_date: date,
    memo: str | None,
    lines: Sequence[LineInput],
    idempotency_key: str,
    draft: bool = False,
) -> Posted:
    """Posts a balanced entry (or stores a draft). Same key + same input: the original
    result, nothing posted twice; same key + other input: ``IDEMPOTENCY_KEY_REUSED``."""
    key = idempotency.check_key(idempotency_key)
    memo = _clean_text(memo)
    shape = JournalEntry(uuid.uuid4(), principal.org_id, entry_date, memo, _unchecked_lines(lines))
    shape.check()  # row rules needing no database, before any statement
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        replay = await idempotency.once(
            uow,
            scope=POST_SCOPE,
            key=key,
            request=_request(entry_date, memo, lines, draft),
            result={"entry_id": str(shape.id)},
            at=now,
        )
        if replay is not None:
            return Posted(await _stored(uow, UUID(replay["entry_id"])), replayed=True)
        account_ids = [line.account_id for line in lines]
        if not draft:
            await uow.ledger.lock_for_posting(account_ids)
        context = await uow.ledger.posting_context(account_ids)
        entry = replace(shape, lines=resolve_lines(lines, context))
        if draft:
            await _write_draft(uow, principal, entry, now)
        else:
            _check_open(context, entry_date)
            entry = entry.post(now)
            await _write_posted(uow, principal, entry, "ledger.entry_posted")
        await uow.commit()
    return Posted(entry)


async def update_draft_entry(
    ctx: LedgerContext,
    principal: Principal,
    entry_id: UUID,
    *,
    entry_date: date | None = None,
    memo: str | None = None,
    lines: Sequence[LineInput] | None = None,
) -> JournalEntry:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        stored = await _stored(uow, entry_id, for_update=True)
        if stored.status is not EntryStatus.DRAFT:
            raise RuleViolation(
                "ALREADY_POSTED",
                "A posted entry cannot change; reverse it and post a correction.",
                "entryId",
            )
        entry = replace(
            stored,
            entry_date=entry_date or stored.entry_date,
            memo=_clean_text(memo) if memo is not None else stored.memo,
        )
        if lines is not None:
            replace(entry, lines=_unchecked_lines(lines)).check()
            context = await uow.ledger.posting_context([line.account_id for line in lines])
            entry = replace(entry, lines=resolve_lines(lines, context))
        await uow.ledger.update_draft(entry)
        await audit.record_by(
            uow,
            principal,
            action="ledger.draft_updated",
            subject_type="journal_entry",
            subject_id=entry.id,
            at=now,
            details={"date": entry.entry_date.isoformat(), "lines": len(entry.lines)},
        )
        await uow.commit()
    return entry


async def delete_draft_entry(ctx: LedgerContext, principal: Principal, entry_id: UUID) -> UUID:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        stored = await _stored(uow, entry_id, for_update=True)
        if stored.status is not EntryStatus.DRAFT:
            raise RuleViolation(
                "ALREADY_POSTED", "A posted entry cannot be deleted; reverse it.", "entryId"
            )
        await uow.ledger.delete_draft(entry_id)
        await audit.record_by(
            uow,
            principal,
            action="ledger.draft_deleted",
            subject_type="journal_entry",
            subject_id=entry_id,
            at=now,
        )
        await uow.commit()
    return entry_id


async def post_draft_entry(
    ctx: LedgerContext, principal: Principal, entry_id: UUID, *, idempotency_key: str
) -> Posted:
    key = idempotency.check_key(idempotency_key)
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        replay = await idempotency.once(
            uow,
            scope=POST_DRAFT_SCOPE,
            key=key,
            request={"entry": str(entry_id)},
            result={"entry_id": str(entry_id)},
            at=now,
        )
        if replay is not None:
            return Posted(await _stored(uow, UUID(replay["entry_id"])), replayed=True)
        draft = await _stored(uow, entry_id, for_update=True)
        if draft.status is not EntryStatus.DRAFT:
            raise RuleViolation("ALREADY_POSTED", "The entry is already posted.", "entryId")
        inputs = [
            LineInput(
                line.account_id,
                line.amount,
                line.currency,
                line.dimensions,
                line.counterparty,
                line.memo,
                line.rate,
            )
            for line in draft.lines
        ]
        account_ids = [line.account_id for line in draft.lines]
        await uow.ledger.lock_for_posting(account_ids)
        context = await uow.ledger.posting_context(account_ids)
        entry = replace(draft, lines=resolve_lines(inputs, context))
        _check_open(context, entry.entry_date)
        entry = entry.post(now)
        await uow.ledger.mark_posted(entry)
        await uow.ledger.insert_lines(entry)
        event = AuditEventRow(
            org_id=principal.org_id,
            id=uuid.uuid4(),
            occurred_at=now,
            actor_user_id=principal.user_id,
            action="ledger.entry_posted",
            subject_type="journal_entry",
            subject_id=str(entry.id),
            details=_details(entry),
        )
        await uow.audit.add(event)
        _announce(uow, entry, event)
        await uow.commit()
    return Posted(entry)


async def reverse_entry(
    ctx: LedgerContext,
    principal: Principal,
    entry_id: UUID,
    *,
    idempotency_key: str,
    entry_date: date | None = None,
    memo: str | None = None,
) -> Posted:
    """Posts the mirror of a posted entry, linked to it. An entry is reversed at most once;
    a reversal can itself be reversed (restoring the original balances)."""
    key = idempotency.check_key(idempotency_key)
    memo = _clean_text(memo)
    now = ctx.clock()
    reversal_id = uuid.uuid4()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        replay = await idempotency.once(
            uow,
            scope=REVERSE_SCOPE,
            key=key,
            request={
                "entry": str(entry_id),
                "date": entry_date.isoformat() if entry_date else None,
                "memo": memo,
            },
            result={"entry_id": str(reversal_id)},
            at=now,
        )
        if replay is not None:
            return Posted(await _stored(uow, UUID(replay["entry_id"])), replayed=True)
        # The original's row lock queues concurrent reversals of one entry.
        found = await uow.ledger.entry(entry_id, for_update=True)
        if found is None:
            raise NotFound("No such journal entry.", field="entryId")
        if found.reversed_by is not None:
            raise RuleViolation("ALREADY_REVERSED", "This entry was already reversed.", "entryId")
        original = found.entry
        reversal = original.reversal(
            id=reversal_id,
            entry_date=entry_date or original.entry_date,
            memo=memo or f"Reversal of {original.memo or original.id}",
        )
        account_ids = [line.account_id for line in reversal.lines]
        await uow.ledger.lock_for_posting(account_ids)
        context = await uow.ledger.posting_context(account_ids)
        _check_open(context, reversal.entry_date)
        posted = reversal.post(now)
        await _write_posted(uow, principal, posted, "ledger.entry_reversed")
        await uow.commit()
    return Posted(posted)


async def _stored(uow: UnitOfWork, entry_id: UUID, *, for_update: bool = False) -> JournalEntry:
    found = await uow.ledger.entry(entry_id, for_update=for_update)
    if found is None:
        raise NotFound("No such journal entry.", field="entryId")
    return found.entry


def _details(entry: JournalEntry) -> dict[str, Any]:
    details: dict[str, Any] = {
        "date": entry.entry_date.isoformat(),
        "lines": len(entry.lines),
        "status": entry.status.value,
    }
    if entry.reverses is not None:
        details["reverses"] = str(entry.reverses)
    return details


async def _write_posted(
    uow: UnitOfWork, principal: Principal, entry: JournalEntry, action: str
) -> None:
    assert entry.posted_at is not None
    event = await uow.ledger.insert_entry(
        entry,
        user_id=principal.user_id,
        at=entry.posted_at,
        action=action,
        details=_details(entry),
    )
    await uow.ledger.insert_lines(entry)
    _announce(uow, entry, event)


async def _write_draft(
    uow: UnitOfWork, principal: Principal, entry: JournalEntry, now: datetime
) -> None:
    event = await uow.ledger.insert_entry(
        entry,
        user_id=principal.user_id,
        at=now,
        action="ledger.draft_created",
        details=_details(entry),
    )
    uow.publish(channels.org_activity(principal.org_id), audit.activity_payload(event))


def _announce(uow: UnitOfWork, entry: JournalEntry, event: AuditEventRow) -> None:
    uow.publish(channels.org_activity(entry.org_id), audit.activity_payload(event))
    uow.publish(
        channels.ledger_activity(entry.org_id),
        {
            "entry_id": str(entry.id),
            "date": entry.entry_date.isoformat(),
            "reverses": str(entry.reverses) if entry.reverses else None,
            "lines": len(entry.lines),
            "posted_at": entry.posted_at.isoformat() if entry.posted_at else None,
        },
    )
