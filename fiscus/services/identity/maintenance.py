"""Scheduled clean-up of expired credentials (run by the worker's cron)."""

from __future__ import annotations

from datetime import timedelta

from fiscus.services import idempotency
from fiscus.services.identity.context import IdentityContext

# Kept a while after expiry so refresh-token reuse is still recognised as reuse.
GRACE = timedelta(days=1)


async def purge_expired_credentials(ctx: IdentityContext) -> dict[str, int]:
    cutoff = ctx.clock() - GRACE
    async with ctx.unit() as uow:
        sessions = await uow.sessions.purge_expired(cutoff)
        resets = await uow.password_resets.purge_expired(cutoff)
        invitations = await uow.invitations.purge_expired_everywhere(cutoff)
        sign_ups = await uow.pending_sign_ups.purge_expired(cutoff)
        # Idempotency keys of every area, kept at least 24 hours.
        keys = await idempotency.purge_expired(uow, ctx.clock())
        await uow.commit()
    return {
        "sessions": sessions,
        "password_resets": resets,
        "invitations": invitations,
        "pending_sign_ups": sign_ups,
        "idempotency_keys": keys,
    }
