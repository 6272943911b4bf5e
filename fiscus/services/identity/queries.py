"""Read side of identity: what queries and DataLoaders call. Every read runs in the
caller's tenant context, so RLS and the explicit filters both apply."""

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
from fiscus.persistence.models.identity import MembershipRow
from fiscus.persistence.uow import UnitOfWork
from fiscus.services.identity.context import IdentityContext

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_next: bool


async def my_memberships(ctx: IdentityContext, principal: Principal) -> list[Membership]:
    # RLS lets a user read their own memberships from inside any of their organizations.
    async with _tenant(ctx, principal) as uow:
        return [m.to_domain() for m in await uow.memberships.of_user(principal.user_id)]


async def users_by_id(
    ctx: IdentityContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, User]:
    """Users visible to the caller: themselves and members of their current organization."""
    async with _tenant(ctx, principal) as uow:
        rows = await uow.users.visible_in(ids, org_id=principal.org_id, viewer_id=principal.user_id)
        return {u.id: u.to_domain() for u in rows}


async def organizations_by_id(
    ctx: IdentityContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Organization]:
    async with _tenant(ctx, principal) as uow:
        return {o.id: o.to_domain() for o in await uow.organizations.many(ids)}


async def members_page(
    ctx: IdentityContext,
    principal: Principal,
    *,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> tuple[Page[Membership], int]:
    async with _tenant(ctx, principal) as uow:
        stmt = uow.memberships.select()
        total = await uow.memberships.count(stmt)
        if after is not None:
            at, user_id = after
            stmt = stmt.where(
                (MembershipRow.created_at > at)
                | ((MembershipRow.created_at == at) & (MembershipRow.user_id > user_id))
            )
        rows = await uow.memberships.all(
            stmt.order_by(MembershipRow.created_at, MembershipRow.user_id).limit(first + 1)
        )
        items = [r.to_domain() for r in rows[:first]]
    return Page(items, len(rows) > first), total


async def membership(
    ctx: IdentityContext, principal: Principal, user_id: UUID
) -> Membership | None:
    async with _tenant(ctx, principal) as uow:
        row = await uow.memberships.get(user_id)
        return row.to_domain() if row else None


async def pending_invitations(ctx: IdentityContext, principal: Principal) -> list[Invitation]:
    async with _tenant(ctx, principal) as uow:
        rows = await uow.invitations.pending_for_orgs([principal.org_id], ctx.clock())
        return [r.to_domain() for r in rows]


async def invitation(
    ctx: IdentityContext, principal: Principal, invitation_id: UUID
) -> Invitation | None:
    async with _tenant(ctx, principal) as uow:
        row = await uow.invitations.get(invitation_id)
        return row.to_domain() if row else None


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
    async with _tenant(ctx, principal) as uow:
        rows = await uow.audit.page(
            limit=first + 1,
            before=after,
            actions=actions,
            actor_user_id=actor_user_id,
            since=since,
            until=until,
        )
        return Page([r.to_domain() for r in rows[:first]], len(rows) > first)


async def audit_event(
    ctx: IdentityContext, principal: Principal, event_id: UUID
) -> AuditEvent | None:
    async with _tenant(ctx, principal) as uow:
        row = await uow.audit.get(event_id)
        return row.to_domain() if row else None


def _tenant(ctx: IdentityContext, principal: Principal) -> AbstractAsyncContextManager[UnitOfWork]:
    return ctx.unit(org_id=principal.org_id, user_id=principal.user_id)
