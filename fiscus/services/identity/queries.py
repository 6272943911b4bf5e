"""Read side of identity: what queries and DataLoaders call. Every read runs in the
caller's tenant context on the read path (``fiscus.persistence.reads``), so RLS and the
explicit filters both apply."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from fiscus.domain.identity import (
    AuditEvent,
    Invitation,
    Membership,
    Organization,
    Principal,
    User,
)
from fiscus.persistence.reads.repositories import Reads
from fiscus.services.identity.context import IdentityContext

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_next: bool


async def my_memberships(ctx: IdentityContext, principal: Principal) -> list[Membership]:
    # RLS lets a user read their own memberships from inside any of their organizations.
    async with _tenant(ctx, principal) as reads:
        return await reads.identity.memberships_of_user(principal.user_id)


async def users_by_id(
    ctx: IdentityContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, User]:
    """Users visible to the caller: themselves and members of their current organization."""
    async with _tenant(ctx, principal) as reads:
        found = await reads.identity.users_visible(
            ids, org_id=principal.org_id, viewer_id=principal.user_id
        )
    return {u.id: u for u in found}


async def organizations_by_id(
    ctx: IdentityContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Organization]:
    async with _tenant(ctx, principal) as reads:
        found = await reads.identity.organizations(ids)
    return {o.id: o for o in found}


async def members_page(
    ctx: IdentityContext,
    principal: Principal,
    *,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> tuple[Page[Membership], int]:
    async with _tenant(ctx, principal) as reads:
        total = await reads.identity.members_count()
        rows = await reads.identity.members(limit=first + 1, after=after)
    return Page(rows[:first], len(rows) > first), total


async def membership(
    ctx: IdentityContext, principal: Principal, user_id: UUID
) -> Membership | None:
    async with _tenant(ctx, principal) as reads:
        return await reads.identity.membership(user_id)


async def pending_invitations(ctx: IdentityContext, principal: Principal) -> list[Invitation]:
    async with _tenant(ctx, principal) as reads:
        return await reads.identity.pending_invitations([principal.org_id], ctx.clock())


async def invitation(
    ctx: IdentityContext, principal: Principal, invitation_id: UUID
) -> Invitation | None:
    async with _tenant(ctx, principal) as reads:
        return await reads.identity.invitation(invitation_id)


async def audit_page(
    ctx: IdentityContext,
    principal: Principal,
    *,
    first: int,
    after: tuple[datetime, UUID] | None,
    actions: Sequence[str] | None = None,
    actor_user_id: UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEvent]:
    async with _tenant(ctx, principal) as reads:
        rows = await reads.identity.audit_page(
            limit=first + 1,
            before=after,
            actions=actions,
            actor_user_id=actor_user_id,
            since=since,
            until=until,
        )
    return Page(rows[:first], len(rows) > first)


async def audit_event(
    ctx: IdentityContext, principal: Principal, event_id: UUID
) -> AuditEvent | None:
    async with _tenant(ctx, principal) as reads:
        return await reads.identity.audit_event(event_id)


def _tenant(ctx: IdentityContext, principal: Principal) -> AbstractAsyncContextManager[Reads]:
    return ctx.reading(org_id=principal.org_id, user_id=principal.user_id)
