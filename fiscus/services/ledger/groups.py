"""Group posting: single postings of one organization by one user that arrive while an
earlier call of the posting function is in flight share the next call (``lanes``) — one
statement, one transaction, one commit (one WAL flush), one publish round trip to Redis —
instead of each paying PostgreSQL's per-statement and per-commit work.

Every entry keeps its own idempotency key and fingerprint, posting time, audit event and
events, and its caller is answered only after the commit. The call is all or nothing, so
when the database refuses it (an entry the chart or the closed period refuses, a key used
with another request) or fails, each member is answered on its own: an entry at fault gets
its own error (named as it would be alone), every other one is posted alone, exactly as
without groups.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from uuid import UUID

from fiscus.domain.errors import DomainError
from fiscus.domain.identity import Principal
from fiscus.persistence.repositories.idempotency import StoredKey
from fiscus.persistence.repositories.ledger_posting import (
    POST_STATEMENT,
    IdempotencyKeyReused,
    PostingOutcome,
)
from fiscus.persistence.statements import note_statement
from fiscus.services.ledger import batch
from fiscus.services.ledger.context import LedgerContext
from fiscus.services.ledger.lanes import Member
from fiscus.services.ledger.rules import WRITE_ROLES, AccessRefused, Posted

log = logging.getLogger(__name__)


class _Alone:
    """The member's group could not post it: it posts on its own."""


ALONE = _Alone()
Verdict = Posted | StoredKey | DomainError | AccessRefused | _Alone
"""Posted; the stored claim of a key used before (a replay); the member's own error."""


async def post_one(
    ctx: LedgerContext,
    principal: Principal,
    entry: batch.NewEntry,
    *,
    confirm_session: bool = False,
) -> Posted:
    """Posts one entry through its lane; the shared statement counts as this caller's.
    ``confirm_session``: the caller's session is confirmed in the posting's transaction
    (``AccessRefused`` when it ended or the caller's role no longer allows posting)."""
    now = ctx.clock()
    session = principal.session_id if confirm_session else None
    prepared = batch.prepare(principal, entry, now, session_id=session)
    org_id, user_id = principal.org_id, principal.user_id

    async def run(group: Sequence[Member]) -> None:
        await _post_group(ctx, org_id, user_id, group)

    verdict: Verdict = await ctx.lanes.join(
        (id(ctx.uow), org_id, user_id), entry, prepared, run, otherwise=ALONE
    )
    note_statement(POST_STATEMENT)
    if isinstance(verdict, Posted):
        if not verdict.replayed:
            await ctx.posted(principal, [verdict.entry])
        return verdict
    if isinstance(verdict, DomainError | AccessRefused):
        raise verdict
    if isinstance(verdict, StoredKey):
        entry_id = UUID(str((verdict.response or {})["entry_id"]))
        stored = await batch.stored_entries(ctx, principal, [entry_id])
        return Posted(stored[entry_id], replayed=True)
    async with ctx.uow.statements(org_id=org_id, user_id=user_id) as unit:
        items, outcome = await batch.post_in(
            unit, principal, [entry], now, prepared=[prepared]
        )
        await unit.commit()
    posted = (await batch.results(ctx, principal, items, outcome))[0]
    if not posted.replayed:
        await ctx.posted(principal, [posted.entry])
    return posted


async def _post_group(
    ctx: LedgerContext, org_id: UUID, user_id: UUID | None, group: Sequence[Member]
) -> None:
    """Answers every member, whatever happens."""
    verdicts: list[Verdict] = [ALONE] * len(group)
    try:
        async with ctx.uow.statements(org_id=org_id, user_id=user_id) as unit:
            try:
                outcome = await unit.ledger_posting.post(
                    [m.prepared for m in group], roles=WRITE_ROLES
                )
            except IdempotencyKeyReused as reused:
                holders = sum(m.prepared.key == reused.key for m in group)
                verdicts = [_reused(m, reused, holders) for m in group]
                return
            if outcome.refused is not None:
                verdicts = [batch.refusal_of(outcome, m.prepared) or ALONE for m in group]
                return
            if not outcome.posted:
                verdicts = [_refused(m, outcome) for m in group]
                return
            for i, member in enumerate(group):
                stored = outcome.stored.get((member.prepared.scope, member.prepared.key))
                if stored is None:
                    verdicts[i] = Posted(
                        batch.announce_one(unit, member.prepared, outcome, user_id)
                    )
                else:
                    verdicts[i] = stored
            await unit.commit()
    except Exception:
        log.warning("a posting group failed; its entries post alone", exc_info=True)
        verdicts = [ALONE] * len(group)
    finally:
        for member, verdict in zip(group, verdicts, strict=True):
            member.answer(verdict)


def _reused(member: Member, reused: IdempotencyKeyReused, holders: int) -> Verdict:
    """The member whose key the error names answers the conflict (when the key names one
    member: keys are unique per scope only); the others post alone."""
    if member.prepared.key == reused.key and holders == 1:
        return batch.key_reused_in(reused, [member.prepared], batch.own_fields)
    return ALONE


def _refused(member: Member, outcome: PostingOutcome) -> Verdict:
    problem = batch.problem_of(outcome, member.entry, member.prepared, 0)
    return ALONE if problem is None else problem
