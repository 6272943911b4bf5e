"""Every table, imported here so ``Base.metadata`` is complete for alembic."""

from fiscus.persistence.models.base import Base
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

__all__ = [
    "AuditEventRow",
    "AuthSessionRow",
    "Base",
    "InvitationRow",
    "MembershipRow",
    "OrganizationRow",
    "PasswordResetRow",
    "PendingSignUpRow",
    "RefreshTokenRow",
    "UserRow",
]
