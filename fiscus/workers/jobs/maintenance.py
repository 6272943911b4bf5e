"""Scheduled clean-up jobs."""

from __future__ import annotations

from fiscus.services.identity import maintenance
from fiscus.workers.jobs.context import JobContext, runtime_of


async def purge_expired_credentials(ctx: JobContext) -> dict[str, int]:
    """Deletes sessions, password resets, invitations (of every organization) and pending
    sign-ups that expired more than the service's grace period ago; returns how many of
    each."""
    return await maintenance.purge_expired_credentials(runtime_of(ctx).identity)
