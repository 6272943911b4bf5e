"""Repositories for users, organizations, memberships, invitations, sessions, audit and
pending sign-ups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    any_,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute

from fiscus.persistence.models.identity import (
    AuditEventRow,
    AuthSessionRow,
    InvitationRow,
    MembershipRow,
    OrganizationRow,
    PasswordResetRow,
    PendingSignUpRow,
    RefreshTokenRow,
    UserRow,
)
from fiscus.persistence.repositories.base import Repository, TenantRepository

T = TypeVar("T")


def _one_of(column: InstrumentedAttribute[T], values: Sequence[T]) -> ColumnElement[bool]:
    """``column = ANY(:values)``: the list travels as ONE array parameter, so its length
    never meets PostgreSQL's 32,767-parameter limit and every length shares one statement."""
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


class UserRepository(Repository[UserRow]):
    model = UserRow

    async def get(self, user_id: UUID) -> UserRow | None:
        return await self.session.get(UserRow, user_id)

    async def by_email(self, email: str) -> UserRow | None:
        return await self.one_or_none(
            select(UserRow).where(func.lower(UserRow.email) == email.lower())
        )


class OrganizationRepository(Repository[OrganizationRow]):
    """Organizations are the tenant root: a user sees those they belong to (RLS)."""

    model = OrganizationRow

    def __init__(self, session: Any, org_id: UUID | None) -> None:
        super().__init__(session)
        self._org_id = org_id

    async def get(self, org_id: UUID, *, for_update: bool = False) -> OrganizationRow | None:
        stmt = select(OrganizationRow).where(OrganizationRow.id == org_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.one_or_none(stmt)

    async def delete(self, org_id: UUID) -> None:
        await self.session.execute(delete(OrganizationRow).where(OrganizationRow.id == org_id))


class MembershipRepository(TenantRepository[MembershipRow]):
    model = MembershipRow

    async def get(self, user_id: UUID, *, for_update: bool = False) -> MembershipRow | None:
        stmt = self.select().where(MembershipRow.user_id == user_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.one_or_none(stmt)

    async def owner(self) -> MembershipRow | None:
        return await self.one_or_none(self.select().where(MembershipRow.role == "owner"))

    async def of_user(self, user_id: UUID) -> Sequence[MembershipRow]:
        """Every membership of one user, across organizations (RLS allows a user's own)."""
        return await self.all(
            select(MembershipRow)
            .where(MembershipRow.user_id == user_id)
            .order_by(MembershipRow.created_at)
        )

    async def remove(self, user_id: UUID) -> None:
        await self.session.execute(
            delete(MembershipRow).where(
                MembershipRow.org_id == self.org_id, MembershipRow.user_id == user_id
            )
        )

    async def set_role(self, user_id: UUID, role: str) -> None:
        await self.session.execute(
            update(MembershipRow)
            .where(MembershipRow.org_id == self.org_id, MembershipRow.user_id == user_id)
            .values(role=role)
        )
        await self.session.flush()


class InvitationRepository(TenantRepository[InvitationRow]):
    model = InvitationRow

    async def by_token_hash(self, token_hash: bytes) -> InvitationRow | None:
        return await self.one_or_none(
            self.select().where(InvitationRow.token_hash == token_hash).with_for_update()
        )

    async def pending_for_email(self, email: str) -> InvitationRow | None:
        return await self.one_or_none(
            self.select().where(
                func.lower(InvitationRow.email) == email.lower(),
                InvitationRow.accepted_at.is_(None),
                InvitationRow.revoked_at.is_(None),
            )
        )

    async def purge_expired_everywhere(self, before: datetime) -> int:
        """Across all tenants, through the migration-owned SECURITY DEFINER function that
        does only this; the app role itself cannot read other tenants' invitations."""
        purged = await self.session.scalar(
            text("SELECT fiscus_purge_expired_invitations(:before)"), {"before": before}
        )
        return int(purged or 0)


class AuditRepository(TenantRepository[AuditEventRow]):
    model = AuditEventRow


class SessionRepository(Repository[AuthSessionRow]):
    model = AuthSessionRow

    async def get(self, session_id: UUID) -> AuthSessionRow | None:
        return await self.session.get(AuthSessionRow, session_id)

    async def refresh_token(self, token_hash: bytes) -> RefreshTokenRow | None:
        return (
            await self.session.execute(
                select(RefreshTokenRow)
                .where(RefreshTokenRow.token_hash == token_hash)
                .with_for_update()
            )
        ).scalar_one_or_none()

    async def add_refresh_token(self, row: RefreshTokenRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def revoke(self, session_id: UUID, *, at: datetime, reason: str) -> None:
        await self.session.execute(
            update(AuthSessionRow)
            .where(AuthSessionRow.id == session_id, AuthSessionRow.revoked_at.is_(None))
            .values(revoked_at=at, revoked_reason=reason)
        )

    async def revoke_all_of_user(self, user_id: UUID, *, at: datetime, reason: str) -> None:
        await self.session.execute(
            update(AuthSessionRow)
            .where(AuthSessionRow.user_id == user_id, AuthSessionRow.revoked_at.is_(None))
            .values(revoked_at=at, revoked_reason=reason)
        )

    async def purge_expired(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(AuthSessionRow).where(AuthSessionRow.expires_at < before)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class PasswordResetRepository(Repository[PasswordResetRow]):
    model = PasswordResetRow

    async def by_token_hash(self, token_hash: bytes) -> PasswordResetRow | None:
        return (
            await self.session.execute(
                select(PasswordResetRow)
                .where(PasswordResetRow.token_hash == token_hash)
                .with_for_update()
            )
        ).scalar_one_or_none()

    async def purge_expired(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(PasswordResetRow).where(PasswordResetRow.expires_at < before)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class PendingSignUpRepository(Repository[PendingSignUpRow]):
    model = PendingSignUpRow

    async def by_token_hash(
        self, token_hash: bytes, *, for_update: bool = False
    ) -> PendingSignUpRow | None:
        stmt = select(PendingSignUpRow).where(PendingSignUpRow.token_hash == token_hash)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.one_or_none(stmt)

    async def serialize_email(self, email: str) -> None:
        """Until this transaction ends, every other transaction that asks for the same
        email (any case) waits here: two sign-ups of one address cannot both see it free."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(lower(:email), 0))"),
            {"email": email},
        )

    async def delete(self, token_hash: bytes) -> None:
        await self.session.execute(
            delete(PendingSignUpRow).where(PendingSignUpRow.token_hash == token_hash)
        )

    async def delete_for_email(self, email: str) -> None:
        await self.session.execute(
            delete(PendingSignUpRow).where(func.lower(PendingSignUpRow.email) == email.lower())
        )

    async def purge_expired(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(PendingSignUpRow).where(PendingSignUpRow.expires_at < before)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
