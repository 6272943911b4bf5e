"""Identity and tenancy tables.

Global (no ``org_id``): users, auth sessions and their refresh tokens, password resets,
pending sign-ups.
Tenant-owned (``org_id`` + forced RLS): organizations (keyed by ``id``, the tenant root),
memberships, invitations, audit events.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from fiscus.domain.identity import (
    AuditEvent,
    Invitation,
    Membership,
    Organization,
    Role,
    User,
)
from fiscus.persistence.models.base import Base, CreatedAtMixin, TenantMixin

ROLE_CHECK = "role IN ('owner','admin','member','analyst','viewer')"


class UserRow(CreatedAtMixin, Base):
    __tablename__ = "users"
    __table_args__ = (Index("uq_users_email_lower", func.lower(text("email")), unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    def to_domain(self) -> User:
        return User(self.id, self.email, self.display_name, self.created_at)


class OrganizationRow(CreatedAtMixin, Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))

    def to_domain(self) -> Organization:
        return Organization(self.id, self.name, self.created_at)


class MembershipRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "user_id"),
        CheckConstraint(ROLE_CHECK, name="role"),
        ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
        # Exactly one owner per organization (at most one here; services keep at least one).
        Index(
            "uq_memberships_one_owner",
            "org_id",
            unique=True,
            postgresql_where=text("role = 'owner'"),
        ),
        Index("ix_memberships_user_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))

    def to_domain(self) -> Membership:
        return Membership(self.org_id, self.user_id, Role(self.role), self.created_at)


class InvitationRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "invitations"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint(ROLE_CHECK + " AND role <> 'owner'", name="role"),
        ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
        Index("uq_invitations_org_id_token_hash", "org_id", "token_hash", unique=True),
        Index(
            "uq_invitations_org_id_pending_email",
            "org_id",
            func.lower(text("email")),
            unique=True,
            postgresql_where=text("accepted_at IS NULL AND revoked_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    invited_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def to_domain(self) -> Invitation:
        return Invitation(
            self.id,
            self.org_id,
            self.email,
            Role(self.role),
            self.invited_by,
            self.created_at,
            self.expires_at,
            self.accepted_at,
            self.revoked_at,
        )


class AuditEventRow(TenantMixin, Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
        Index("ix_audit_events_org_id_occurred_at", "org_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))

    def to_domain(self) -> AuditEvent:
        return AuditEvent(
            self.id,
            self.org_id,
            self.occurred_at,
            self.actor_user_id,
            self.action,
            self.subject_type,
            self.subject_id,
            dict(self.details),
        )


class AuthSessionRow(CreatedAtMixin, Base):
    """One login: the family of rotating refresh tokens. Revoking it ends the session."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_user_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # No foreign key: a global table may not reference a distributed tenant table.
    active_organization_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class RefreshTokenRow(CreatedAtMixin, Base):
    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_session_id", "session_id"),)

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE")
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PasswordResetRow(CreatedAtMixin, Base):
    __tablename__ = "password_resets"
    __table_args__ = (Index("ix_password_resets_user_id", "user_id"),)

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PendingSignUpRow(CreatedAtMixin, Base):
    """A sign-up waiting for its email to be verified; becomes a user and an organization
    through ``verifyEmail``. Only the SHA-256 of the mailed token is stored."""

    __tablename__ = "pending_sign_ups"
    __table_args__ = (
        Index("ix_pending_sign_ups_email_lower", func.lower(text("email"))),
        Index("ix_pending_sign_ups_expires_at", "expires_at"),
    )

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(120))
    organization_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
