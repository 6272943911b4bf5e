"""Posting entries in one statement: one entry (``postJournalEntry``) or a batch, all or
nothing, in one transaction.

Idempotency is **per entry**: every entry carries its own key and request fingerprint
(claimed in the same statement that posts it). In a batch, entries whose key was already
used with the same request are answered from the stored result (``replayed``) and the
others are posted; a key used with another request refuses the whole batch
(``IDEMPOTENCY_KEY_REUSED``, nothing written); any invalid entry refuses the whole batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from fiscus.domain.errors import (
    Conflict,
    DomainError,
    FieldIssue,
    RuleViolation,
    ValidationFailed,
)
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import EntryStatus, JournalEntry, JournalLine
from fiscus.persistence.repositories.ledger_posting import (
    EntryToPost,
    IdempotencyKeyReused,
    PostingOutcome,
)
from fiscus.persistence.statement_unit import StatementUnit
from fiscus.services import idempotency
from fiscus.services.ledger.context import LedgerContext
from fiscus.services.ledger.rules import (
    WRITE_ROLES,
    AccessRefused,
    LineInput,
    Posted,
    announce_posted,
    check_open,
    clean_text,
    details_of,
    dimensions_of,
    request_of,
    resolve_lines,
)

POST_SCOPE = "ledger.post_entry"
FieldName = Callable[[int, str], str]
"""(entry index, field inside the entry) -> the field an error names."""


@dataclass(frozen=True, slots=True)
class NewEntry:
    entry_date: date
    memo: str | None
    lines: Sequence[LineInput]
    idempotency_key: str
    request: Mapping[str, Any] | None = None
    """What the key's fingerprint covers; default: the entry itself."""
    scope: str = POST_SCOPE
    action: str = "ledger.entry_posted"


def own_fields(_: int, name: str) -> str:
    return name


def batch_fields(index: int, name: str) -> str:
    return f"entries[{index}].{name}"


def _renamed(error: DomainError, index: int, field_name: FieldName) -> DomainError:
    """The same error with its fields named for the caller's input."""
    if isinstance(error, ValidationFailed):
        return ValidationFailed(
            [FieldIssue(field_name(index, i.field or ""), i.code, i.message) for i in error.issues]
        )
    renamed = type(error).__new__(type(error))
    DomainError.__init__(renamed, error.code, error.message, field_name(index, error.field or ""))
    return renamed


def _key_reused(index: int, field_name: FieldName) -> Conflict:
    return Conflict(
        "IDEMPOTENCY_KEY_REUSED",
        "This idempotency key was already used with a different request.",
        field_name(index, "idempotencyKey"),
    )


def prepare(
    principal: Principal,
    entry: NewEntry,
    now: datetime,
    index: int = 0,
    field_name: FieldName = own_fields,
    *,
    session_id: UUID | None = None,
) -> EntryToPost:
    """The entry checked by the rules that need no database, ready to post at ``now``;
    ``session_id``: the caller's session, to confirm in the posting's transaction."""
    try:
        key = idempotency.check_key(entry.idempotency_key)
        memo = clean_text(entry.memo)
        dimensions = dimensions_of(entry.lines)
        lines = [
            JournalLine(
                line.account_id,
                line.amount,
                (line.currency or "").strip().upper(),
                dimensions[i],
                clean_text(line.counterparty),
                clean_text(line.memo),
                line.rate,
            )
            for i, line in enumerate(entry.lines)
        ]
        shaped = JournalEntry(uuid.uuid4(), principal.org_id, entry.entry_date, memo, lines)
        shaped.check()  # row rules needing no database, before any statement
    except DomainError as error:
        raise _renamed(error, index, field_name) from None
    posted = replace(shaped, status=EntryStatus.POSTED, posted_at=now)
    request = entry.request or request_of(entry.entry_date, memo, entry.lines, False)
    return EntryToPost(
        posted,
        entry.scope,
        key,
        idempotency.fingerprint(request),
        uuid.uuid4(),
        entry.action,
        details_of(posted),
        session_id,
    )


def problem_of(
    outcome: PostingOutcome,
    entry: NewEntry,
    item: EntryToPost,
    index: int,
    field_name: FieldName = own_fields,
) -> DomainError | None:
    """What is wrong with one entry of a refused call, as the rules phrase it (None: nothing,
    or its key was used before with the same request)."""
    context = outcome.context
    assert context is not None
    stored = outcome.stored.get((item.scope, item.key))
    if stored is not None:
        return None if stored.fingerprint == item.fingerprint else _key_reused(index, field_name)
    try:
        resolved = resolve_lines(entry.lines, context)
        check_open(context, entry.entry_date)
        replace(item.entry, lines=resolved, status=EntryStatus.DRAFT).post(
            item.entry.posted_at or datetime.now()
        )
    except DomainError as error:
        return _renamed(error, index, field_name)
    return None


def _explain(
    outcome: PostingOutcome,
    entries: Sequence[NewEntry],
    prepared: Sequence[EntryToPost],
    field_name: FieldName,
) -> None:
    """The function refused the batch: name the first problem, as the rules phrase it."""
    for index, (entry, item) in enumerate(zip(entries, prepared, strict=True)):
        problem = problem_of(outcome, entry, item, index, field_name)
        if problem is not None:
            raise problem
    if any((i.scope, i.key) not in outcome.stored for i in prepared):
        raise RuntimeError("fiscus_ledger_post refused a batch the rules accept")


def refusal_of(outcome: PostingOutcome, item: EntryToPost) -> AccessRefused | None:
    """The refusal of ``item``'s session, when the function refused it."""
    if outcome.refused is None or item.session_id not in outcome.refused:
        return None
    return AccessRefused(session_ended=outcome.refused[item.session_id])


def key_reused_in(
    reused: IdempotencyKeyReused, prepared: Sequence[EntryToPost], field_name: FieldName
) -> Conflict:
    index = next((i for i, p in enumerate(prepared) if p.key == reused.key), 0)
    return _key_reused(index, field_name)


async def post_in(
    unit: StatementUnit,
    principal: Principal,
    entries: Sequence[NewEntry],
    now: datetime,
    *,
    field_name: FieldName = own_fields,
    prepared: Sequence[EntryToPost] | None = None,
) -> tuple[Sequence[EntryToPost], PostingOutcome]:
    """Posts in ``unit`` (the caller commits); events are buffered in the unit. ``prepared``:
    the entries already prepared (``prepare``)."""
    if prepared is None:
        prepared = [prepare(principal, e, now, i, field_name) for i, e in enumerate(entries)]
    try:
        outcome = await unit.ledger_posting.post(prepared, roles=WRITE_ROLES)
    except IdempotencyKeyReused as reused:
        raise key_reused_in(reused, prepared, field_name) from None
    refusal = next(filter(None, (refusal_of(outcome, item) for item in prepared)), None)
    if refusal is not None:
        raise refusal
    if not outcome.posted:
        _explain(outcome, entries, prepared, field_name)
        return prepared, outcome  # every entry was a replay
    for item in prepared:
        if (item.scope, item.key) not in outcome.stored:
            announce_one(unit, item, outcome, principal.user_id)
    return prepared, outcome


def announce_one(
    unit: StatementUnit, item: EntryToPost, outcome: PostingOutcome, user_id: UUID | None
) -> JournalEntry:
    """Buffers a posted entry's events in ``unit``; the entry as written."""
    entry = as_written(item.entry, outcome)
    announce_posted(unit, entry, event_id=item.event_id, user_id=user_id, action=item.action)
    return entry


def as_written(entry: JournalEntry, outcome: PostingOutcome) -> JournalEntry:
    lines = [
        line if line.currency else replace(line, currency=outcome.currencies[line.account_id])
        for line in entry.lines
    ]
    return replace(entry, lines=lines)


async def results(
    ctx: LedgerContext,
    principal: Principal,
    prepared: Sequence[EntryToPost],
    outcome: PostingOutcome,
) -> list[Posted]:
    """Posted entries as written; replays read back from the books."""
    out: list[Posted] = []
    replays = [
        UUID(str((outcome.stored[(p.scope, p.key)].response or {})["entry_id"]))
        for p in prepared
        if (p.scope, p.key) in outcome.stored
    ]
    stored = await stored_entries(ctx, principal, replays) if replays else {}
    for item in prepared:
        claim = outcome.stored.get((item.scope, item.key))
        if claim is None:
            out.append(Posted(as_written(item.entry, outcome)))
        else:
            out.append(Posted(stored[UUID(str((claim.response or {})["entry_id"]))], True))
    return out


async def stored_entries(
    ctx: LedgerContext, principal: Principal, entry_ids: Sequence[UUID]
) -> dict[UUID, JournalEntry]:
    found: dict[UUID, JournalEntry] = {}
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        for entry_id in entry_ids:
            stored = await uow.ledger.entry(entry_id)
            if stored is None:
                raise RuleViolation(
                    "NOT_FOUND", "The entry this key posted no longer exists.", "idempotencyKey"
                )
            found[entry_id] = stored.entry
    return found


async def post_journal_entries(
    ctx: LedgerContext,
    principal: Principal,
    entries: Sequence[NewEntry],
    *,
    field_name: FieldName = batch_fields,
) -> list[Posted]:
    """Posts every entry or none, in one transaction (one statement); errors name
    ``entries[<i>].<field>``."""
    now = ctx.clock()
    keys = [(e.scope, e.idempotency_key.strip()) for e in entries]
    if len(set(keys)) != len(keys):
        raise ValidationFailed(
            [FieldIssue("entries", "INVALID", "Every entry needs its own idempotency key.")]
        )
    if not entries:
        return []
    async with ctx.uow.statements(org_id=principal.org_id, user_id=principal.user_id) as unit:
        prepared, outcome = await post_in(unit, principal, entries, now, field_name=field_name)
        await unit.commit()
    posted = await results(ctx, principal, prepared, outcome)
    await ctx.posted(principal, [p.entry for p in posted if not p.replayed])
    return posted
