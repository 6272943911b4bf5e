"""Identity reads: the per-request access check and what queries and DataLoaders read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import String, Uuid, and_, any_, bindparam, exists, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY

from fiscus.domain.identity import AuditEvent, Invitation, Membership, Organization, Role, User
from fiscus.persistence.models.identity import (
    AuditEventRow,
    AuthSessionRow,
    InvitationRow,
    MembershipRow,
    OrganizationRow,
    UserRow,
)
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.repositories import ReadRepository


def _ids(name: str) -> Any:
    return bindparam(name, type_=ARRAY(Uuid()))


_ACCESS_CHECK = ReadQuery.of(
    select(
        and_(AuthSessionRow.revoked_at.is_(None), AuthSessionRow.expires_at > func.now()),
        MembershipRow.role,
    )
    .select_from(AuthSessionRow)
    .outerjoin(
        MembershipRow,
        and_(
            MembershipRow.org_id == bindparam("org_id"),
            MembershipRow.user_id == AuthSessionRow.user_id,
        ),
    )
    .where(
        AuthSessionRow.id == bindparam("session_id"), AuthSessionRow.user_id == bindparam("user_id")
    )
)

_USER_COLUMNS = (UserRow.id, UserRow.email, UserRow.display_name, UserRow.created_at)
_ORGANIZATION_COLUMNS = (OrganizationRow.id, OrganizationRow.name, OrganizationRow.created_at)

# The access check of a request, with the caller's user and organization in the same round
# trip (most requests need one of them; they prime the request's DataLoaders).
_AUTHENTICATE = ReadQuery.of(
    select(
        and_(AuthSessionRow.revoked_at.is_(None), AuthSessionRow.expires_at > func.now()),
        MembershipRow.role,
        *_USER_COLUMNS,
        *_ORGANIZATION_COLUMNS,
    )
    .select_from(AuthSessionRow)
    .join(UserRow, UserRow.id == AuthSessionRow.user_id)
    .outerjoin(
        MembershipRow,
        and_(
            MembershipRow.org_id == bindparam("org_id"),
            MembershipRow.user_id == AuthSessionRow.user_id,
        ),
    )
    .outerjoin(OrganizationRow, OrganizationRow.id == MembershipRow.org_id)
    .where(
        AuthSessionRow.id == bindparam("session_id"),
        AuthSessionRow.user_id == bindparam("user_id"),
    )
)
_USERS_VISIBLE = ReadQuery.of(
    select(*_USER_COLUMNS).where(
        UserRow.id == any_(_ids("ids")),
        or_(
            UserRow.id == bindparam("viewer_id"),
            exists().where(
                MembershipRow.org_id == bindparam("org_id"), MembershipRow.user_id == UserRow.id
            ),
        ),
    )
)

_ORGANIZATIONS = ReadQuery.of(
    select(*_ORGANIZATION_COLUMNS).where(OrganizationRow.id == any_(_ids("ids")))
)

_MEMBERSHIP_COLUMNS = (
    MembershipRow.org_id,
    MembershipRow.user_id,
    MembershipRow.role,
    MembershipRow.created_at,
)
_MEMBERSHIPS_OF_USER = ReadQuery.of(
    select(*_MEMBERSHIP_COLUMNS)
    .where(MembershipRow.user_id == bindparam("user_id"))
    .order_by(MembershipRow.created_at)
)
_MEMBERSHIP = ReadQuery.of(
    select(*_MEMBERSHIP_COLUMNS).where(
        MembershipRow.org_id == bindparam("org_id"), MembershipRow.user_id == bindparam("user_id")
    )
)
_MEMBERS_COUNT = ReadQuery.of(
    select(func.count())
    .select_from(MembershipRow)
    .where(MembershipRow.org_id == bindparam("org_id"))
)
_MEMBERS_FIRST = ReadQuery.of(
    select(*_MEMBERSHIP_COLUMNS)
    .where(MembershipRow.org_id == bindparam("org_id"))
    .order_by(MembershipRow.created_at, MembershipRow.user_id)
    .limit(bindparam("limit"))
)
_MEMBERS_AFTER = ReadQuery.of(
    select(*_MEMBERSHIP_COLUMNS)
    .where(
        MembershipRow.org_id == bindparam("org_id"),
        or_(
            MembershipRow.created_at > bindparam("after_at"),
            and_(
                MembershipRow.created_at == bindparam("after_at"),
                MembershipRow.user_id > bindparam("after_id"),
            ),
        ),
    )
    .order_by(MembershipRow.created_at, MembershipRow.user_id)
    .limit(bindparam("limit"))
)

_INVITATION_COLUMNS = (
    InvitationRow.id,
    InvitationRow.org_id,
    InvitationRow.email,
    InvitationRow.role,
    InvitationRow.invited_by,
    InvitationRow.created_at,
    InvitationRow.expires_at,
    InvitationRow.accepted_at,
    InvitationRow.revoked_at,
)
_PENDING_INVITATIONS = ReadQuery.of(
    select(*_INVITATION_COLUMNS)
    .where(
        InvitationRow.org_id == any_(_ids("org_ids")),
        InvitationRow.accepted_at.is_(None),
        InvitationRow.revoked_at.is_(None),
        InvitationRow.expires_at > bindparam("now"),
    )
    .order_by(InvitationRow.org_id, InvitationRow.created_at)
)
_INVITATION = ReadQuery.of(
    select(*_INVITATION_COLUMNS).where(
        InvitationRow.org_id == bindparam("org_id"), InvitationRow.id == bindparam("id")
    )
)

_AUDIT_COLUMNS = (
    AuditEventRow.id,
    AuditEventRow.org_id,
    AuditEventRow.occurred_at,
    AuditEventRow.actor_user_id,
    AuditEventRow.action,
    AuditEventRow.subject_type,
    AuditEventRow.subject_id,
    AuditEventRow.details,
)
_AUDIT_EVENT = ReadQuery.of(
    select(*_AUDIT_COLUMNS).where(
        AuditEventRow.org_id == bindparam("org_id"), AuditEventRow.id == bindparam("id")
    )
)


@cache
def _audit_page(actions: bool, actor: bool, since: bool, until: bool, before: bool) -> ReadQuery:
    """One compiled statement per combination of filters (32 at most): each keeps a plan
    that uses the (org_id, occurred_at, id) index."""
    stmt = select(*_AUDIT_COLUMNS).where(AuditEventRow.org_id == bindparam("org_id"))
    if actions:
        stmt = stmt.where(AuditEventRow.action == any_(bindparam("actions", type_=ARRAY(String()))))
    if actor:
        stmt = stmt.where(AuditEventRow.actor_user_id == bindparam("actor_user_id"))
    if since:
        stmt = stmt.where(AuditEventRow.occurred_at >= bindparam("since"))
    if until:
        stmt = stmt.where(AuditEventRow.occurred_at < bindparam("until"))
    if before:
        stmt = stmt.where(
            or_(
                AuditEventRow.occurred_at < bindparam("before_at"),
                and_(
                    AuditEventRow.occurred_at == bindparam("before_at"),
                    AuditEventRow.id < bindparam("before_id"),
                ),
            )
        )
    stmt = stmt.order_by(AuditEventRow.occurred_at.desc(), AuditEventRow.id.desc()).limit(
        bindparam("limit")
    )
    return ReadQuery.of(stmt)


@dataclass(frozen=True, slots=True)
class CallerAccess:
    """The caller as the database knows them now: ``role`` is None when they are no longer
    a member; ``organization`` is None then too."""

    session_live: bool
    role: str | None
    user: User
    organization: Organization | None


class IdentityReads(ReadRepository):
    async def caller_access(
        self, *, session_id: UUID, user_id: UUID, org_id: UUID
    ) -> CallerAccess | None:
        """``access_check`` plus the caller's user and organization, in one statement."""
        row = await self.fetchrow(
            _AUTHENTICATE, session_id=session_id, user_id=user_id, org_id=org_id
        )
        if row is None:
            return None
        organization = Organization(row[6], row[7], row[8]) if row[6] is not None else None
        return CallerAccess(
            bool(row[0]), row[1], User(row[2], row[3], row[4], row[5]), organization
        )

    async def access_check(
        self, *, session_id: UUID, user_id: UUID, org_id: UUID
    ) -> tuple[bool, str | None]:
        """Is the session live, and the caller's current role in ``org_id``."""
        row = await self.fetchrow(
            _ACCESS_CHECK, session_id=session_id, user_id=user_id, org_id=org_id
        )
        if row is None:
            return False, None
        return bool(row[0]), row[1]

    async def users_visible(
        self, ids: Sequence[UUID], *, org_id: UUID, viewer_id: UUID
    ) -> list[User]:
        """Those of ``ids`` the viewer may see: themselves and members of ``org_id``."""
        if not ids:
            return []
        rows = await self.fetch(_USERS_VISIBLE, ids=list(ids), viewer_id=viewer_id, org_id=org_id)
        return [User(r[0], r[1], r[2], r[3]) for r in rows]

    async def organizations(self, ids: Sequence[UUID]) -> list[Organization]:
        """Organizations are the tenant root: RLS shows those the user belongs to."""
        if not ids:
            return []
        rows = await self.fetch(_ORGANIZATIONS, ids=list(ids))
        return [Organization(r[0], r[1], r[2]) for r in rows]

    async def memberships_of_user(self, user_id: UUID) -> list[Membership]:
        """Every membership of one user, across organizations (RLS allows a user's own)."""
        return [_membership(r) for r in await self.fetch(_MEMBERSHIPS_OF_USER, user_id=user_id)]

    async def membership(self, user_id: UUID) -> Membership | None:
        row = await self.fetchrow(_MEMBERSHIP, org_id=self.org_id, user_id=user_id)
        return _membership(row) if row else None

    async def members_count(self) -> int:
        return int(await self.fetchval(_MEMBERS_COUNT, org_id=self.org_id))

    async def members(self, *, limit: int, after: tuple[datetime, UUID] | None) -> list[Membership]:
        """Oldest first, keyset-paginated on (created_at, user_id)."""
        if after is None:
            rows = await self.fetch(_MEMBERS_FIRST, org_id=self.org_id, limit=limit)
        else:
            rows = await self.fetch(
                _MEMBERS_AFTER,
                org_id=self.org_id,
                after_at=after[0],
                after_id=after[1],
                limit=limit,
            )
        return [_membership(r) for r in rows]

    async def pending_invitations(self, org_ids: Sequence[UUID], now: datetime) -> list[Invitation]:
        if not org_ids:
            return []
        rows = await self.fetch(_PENDING_INVITATIONS, org_ids=list(org_ids), now=now)
        return [_invitation(r) for r in rows]

    async def invitation(self, invitation_id: UUID) -> Invitation | None:
        row = await self.fetchrow(_INVITATION, org_id=self.org_id, id=invitation_id)
        return _invitation(row) if row else None

    async def audit_page(
        self,
        *,
        limit: int,
        before: tuple[datetime, UUID] | None,
        actions: Sequence[str] | None,
        actor_user_id: UUID | None,
        since: datetime | None,
        until: datetime | None,
    ) -> list[AuditEvent]:
        """Newest first, keyset-paginated on (occurred_at, id). ``actions`` is bound as one
        array parameter, whatever its length."""
        query = _audit_page(
            bool(actions),
            actor_user_id is not None,
            since is not None,
            until is not None,
            before is not None,
        )
        values: dict[str, Any] = {"org_id": self.org_id, "limit": limit}
        if actions:
            values["actions"] = list(actions)
        if actor_user_id is not None:
            values["actor_user_id"] = actor_user_id
        if since is not None:
            values["since"] = since
        if until is not None:
            values["until"] = until
        if before is not None:
            values["before_at"], values["before_id"] = before
        return [_audit_event(r) for r in await self.fetch(query, **values)]

    async def audit_event(self, event_id: UUID) -> AuditEvent | None:
        row = await self.fetchrow(_AUDIT_EVENT, org_id=self.org_id, id=event_id)
        return _audit_event(row) if row else None


def _membership(row: asyncpg.Record) -> Membership:
    return Membership(row[0], row[1], Role(row[2]), row[3])


def _invitation(row: asyncpg.Record) -> Invitation:
    return Invitation(row[0], row[1], row[2], Role(row[3]), row[4], row[5], row[6], row[7], row[8])


def _audit_event(row: asyncpg.Record) -> AuditEvent:
    return AuditEvent(row[0], row[1], row[2], row[3], row[4], row[5], row[6], dict(row[7]))
