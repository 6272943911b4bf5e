"""Posting, drafts and reversals: one transaction each, idempotent by key.

A posting claims its idempotency key, takes the period lock (shared) and the accounts'
locks (sorted), checks every line against the locked chart and the closed period, then
writes the entry, its audit event, its lines and the summary rows. Events go out after
commit: ``org:{id}:activity`` (the audit event) and ``org:{id}:ledger`` (the entry).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from uuid import UUID

from fiscus.domain.errors import NotFound, RuleViolation
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import EntryStatus, JournalEntry
from fiscus.persistence.uow import UnitOfWork
from fiscus.realtime import channels
from fiscus.services import idempotency
from fiscus.services.identity import audit
from fiscus.services.ledger import batch, groups
from fiscus.services.ledger.batch import POST_SCOPE
from fiscus.services.ledger.context import LedgerContext
from fiscus.services.ledger.rules import (
    AccessRefused,
    LineInput,
    Posted,
    announce,
    check_open,
    clean_text,
    details_of,
    posted_event,
    request_of,
    resolve_lines,
    unchecked_lines,
)

__all__ = ["POST_SCOPE", "AccessRefused", "LineInput", "Posted"]

REVERSE_SCOPE = "ledger.reverse_entry"
POST_DRAFT_SCOPE = "ledger.post_draft"


async def post_journal_entry(
    ctx: LedgerContext,
    principal: Principal,
    *,
    entry_date: date,
    memo: str | None,
    lines: Sequence[LineInput],
    idempotency_key: str,
    draft: bool = False,
    confirm_session: bool = False,
) -> Posted:
    """Posts a balanced entry (or stores a draft). Same key + same input: the original
    result, nothing posted twice; same key + other input: ``IDEMPOTENCY_KEY_REUSED``.
    ``confirm_session`` (posting only): the caller's session and role are confirmed in the
    posting's own transaction (``AccessRefused``), not before."""
    if not draft:
        return await groups.post_one(
            ctx,
            principal,
            batch.NewEntry(entry_date, memo, lines, idempotency_key),
            confirm_session=confirm_session,
        )
    key = idempotency.check_key(idempotency_key)
    memo = clean_text(memo)
    shape = JournalEntry(uuid.uuid4(), principal.org_id, entry_date, memo, unchecked_lines(lines))
    shape.check()  # row rules needing no database, before any statement
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        replay = await idempotency.once(
            uow,
            scope=POST_SCOPE,
            key=key,
            request=request_of(entry_date, memo, lines, draft),
            result={"entry_id": str(shape.id)},
            at=now,
        )
        if replay is not None:
            return Posted(await _stored(uow, UUID(replay["entry_id"])), replayed=True)
        context = await uow.ledger.posting_context([line.account_id for line in lines])
        entry = replace(shape, lines=resolve_lines(lines, context))
        await _write_draft(uow, principal, entry, now)
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
            memo=clean_text(memo) if memo is not None else stored.memo,
        )
        if lines is not None:
            replace(entry, lines=unchecked_lines(lines)).check()
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
        check_open(context, entry.entry_date)
        entry = entry.post(now)
        await uow.ledger.mark_posted(entry)
        await uow.ledger.insert_lines(entry)
        event = posted_event(entry, user_id=principal.user_id, action="ledger.entry_posted")
        await uow.audit.add(event)
        announce(uow, entry, event)
        await uow.commit()
    await ctx.posted(principal, [entry])
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
    memo = clean_text(memo)
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
        check_open(context, reversal.entry_date)
        posted = reversal.post(now)
        await _write_posted(uow, principal, posted, "ledger.entry_reversed")
        await uow.commit()
    await ctx.posted(principal, [posted])
    return Posted(posted)


async def post_in_unit(
    uow: UnitOfWork,
    principal: Principal,
    *,
    entry_date: date,
    memo: str | None,
    lines: Sequence[LineInput],
    now: datetime,
    action: str = "ledger.entry_posted",
    entry_id: UUID | None = None,
) -> JournalEntry:
    """Posts one balanced entry inside the caller's unit of work (for use cases that write
    their own rows in the same transaction: a debt payment, a goal contribution). Same
    locks, checks and events as any posting; the caller commits, then calls
    ``ctx.posted``. Errors name the fields of ``lines`` as ``lines[<i>].<field>``."""
    memo = clean_text(memo)
    shape = JournalEntry(
        entry_id or uuid.uuid4(), principal.org_id, entry_date, memo, unchecked_lines(lines)
    )
    shape.check()
    account_ids = [line.account_id for line in lines]
    await uow.ledger.lock_for_posting(account_ids)
    context = await uow.ledger.posting_context(account_ids)
    entry = replace(shape, lines=resolve_lines(lines, context))
    check_open(context, entry.entry_date)
    posted = entry.post(now)
    await _write_posted(uow, principal, posted, action)
    return posted


async def _stored(uow: UnitOfWork, entry_id: UUID, *, for_update: bool = False) -> JournalEntry:
    found = await uow.ledger.entry(entry_id, for_update=for_update)
    if found is None:
        raise NotFound("No such journal entry.", field="entryId")
    return found.entry


async def _write_posted(
    uow: UnitOfWork, principal: Principal, entry: JournalEntry, action: str
) -> None:
    assert entry.posted_at is not None
    event = await uow.ledger.insert_entry(
        entry,
        user_id=principal.user_id,
        at=entry.posted_at,
        action=action,
        details=details_of(entry),
    )
    await uow.ledger.insert_lines(entry)
    announce(uow, entry, event)


async def _write_draft(
    uow: UnitOfWork, principal: Principal, entry: JournalEntry, now: datetime
) -> None:
    event = await uow.ledger.insert_entry(
        entry,
        user_id=principal.user_id,
        at=now,
        action="ledger.draft_created",
        details=details_of(entry),
    )
    uow.publish(channels.org_activity(principal.org_id), audit.activity_payload(event))
