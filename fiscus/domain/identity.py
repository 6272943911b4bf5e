"""Users, organizations, roles and permissions: the rules, without I/O."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from fiscus.domain.errors import FieldIssue, RuleViolation, ValidationFailed


class Permission(enum.StrEnum):
    ORG_READ = "org:read"
    ORG_UPDATE = "org:update"
    ORG_DELETE = "org:delete"
    OWNERSHIP_TRANSFER = "ownership:transfer"
    MEMBERS_READ = "members:read"
    MEMBERS_MANAGE = "members:manage"
    AUDIT_READ = "audit:read"
    REPORTS_READ = "reports:read"
    PORTFOLIO_READ = "portfolio:read"
    PORTFOLIO_WRITE = "portfolio:write"
    LEDGER_READ = "ledger:read"
    LEDGER_WRITE = "ledger:write"
    RECEIVABLES_READ = "receivables:read"
    RECEIVABLES_WRITE = "receivables:write"
    PROPERTIES_READ = "properties:read"
    PROPERTIES_WRITE = "properties:write"
    DEBTS_READ = "debts:read"
    DEBTS_WRITE = "debts:write"
    BUDGETS_READ = "budgets:read"
    BUDGETS_WRITE = "budgets:write"
    FORECASTS_READ = "forecasts:read"
    ALERTS_READ = "alerts:read"
    ALERTS_WRITE = "alerts:write"
    ANALYTICS_RUN = "analytics:run"
    EXPORTS_RUN = "exports:run"


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    ANALYST = "analyst"
    VIEWER = "viewer"


_READ_EVERYTHING = frozenset(
    {
        Permission.ORG_READ,
        Permission.MEMBERS_READ,
        Permission.AUDIT_READ,
        Permission.REPORTS_READ,
        Permission.PORTFOLIO_READ,
        Permission.LEDGER_READ,
        Permission.RECEIVABLES_READ,
        Permission.PROPERTIES_READ,
        Permission.DEBTS_READ,
        Permission.BUDGETS_READ,
        Permission.FORECASTS_READ,
        Permission.ALERTS_READ,
    }
)
_WRITE_FINANCIAL = frozenset(
    {
        Permission.PORTFOLIO_WRITE,
        Permission.LEDGER_WRITE,
        Permission.RECEIVABLES_WRITE,
        Permission.PROPERTIES_WRITE,
        Permission.DEBTS_WRITE,
        Permission.BUDGETS_WRITE,
        Permission.ALERTS_WRITE,
    }
)
_OWNER_ONLY = frozenset({Permission.ORG_DELETE, Permission.OWNERSHIP_TRANSFER})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(Permission) - _OWNER_ONLY,
    Role.MEMBER: _READ_EVERYTHING | _WRITE_FINANCIAL | {Permission.ANALYTICS_RUN},
    Role.ANALYST: _READ_EVERYTHING | {Permission.ANALYTICS_RUN, Permission.EXPORTS_RUN},
    Role.VIEWER: frozenset({Permission.ORG_READ, Permission.REPORTS_READ}),
}

# Roles an invitation or a role change may grant; ownership moves only by transfer.
ASSIGNABLE_ROLES = frozenset({Role.ADMIN, Role.MEMBER, Role.ANALYST, Role.VIEWER})


def role_allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an authenticated user acting inside one organization."""

    user_id: UUID
    org_id: UUID
    role: Role
    session_id: UUID
    expires_at: datetime
    permissions: frozenset[Permission] = field(default=frozenset())

    def __post_init__(self) -> None:
        if not self.permissions:
            object.__setattr__(self, "permissions", ROLE_PERMISSIONS[self.role])

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(raw: str, *, field_name: str = "email") -> str:
    email = raw.strip()
    if not email:
        raise ValidationFailed([FieldIssue(field_name, "REQUIRED", "Email is required.")])
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationFailed(
            [FieldIssue(field_name, "INVALID_EMAIL", "Enter a valid email address.")]
        )
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_password(password: str, *, min_length: int, field_name: str = "password") -> None:
    if len(password) < min_length:
        raise ValidationFailed(
            [
                FieldIssue(
                    field_name,
                    "WEAK_PASSWORD",
                    f"Password must be at least {min_length} characters long.",
                )
            ]
        )
    if len(password) > 1024:
        raise ValidationFailed(
            [FieldIssue(field_name, "TOO_LONG", "Password must be at most 1024 characters.")]
        )


def check_name(raw: str, *, field_name: str, max_length: int = 120) -> str:
    name = " ".join(raw.split())
    if not name:
        raise ValidationFailed([FieldIssue(field_name, "REQUIRED", "This field is required.")])
    if len(name) > max_length:
        raise ValidationFailed(
            [FieldIssue(field_name, "TOO_LONG", f"Must be at most {max_length} characters.")]
        )
    return name


@dataclass(frozen=True, slots=True)
class User:
    id: UUID
    email: str
    display_name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Organization:
    id: UUID
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Membership:
    org_id: UUID
    user_id: UUID
    role: Role
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Invitation:
    id: UUID
    org_id: UUID
    email: str
    role: Role
    invited_by: UUID
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None

    def is_pending(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: UUID
    org_id: UUID
    occurred_at: datetime
    actor_user_id: UUID | None
    action: str
    subject_type: str
    subject_id: str
    details: dict[str, object]


def parse_role(raw: str, *, field_name: str = "role", assignable_only: bool = True) -> Role:
    try:
        role = Role(raw.lower())
    except ValueError:
        raise ValidationFailed(
            [FieldIssue(field_name, "INVALID_ROLE", f"Unknown role {raw!r}.")]
        ) from None
    if assignable_only and role not in ASSIGNABLE_ROLES:
        raise ValidationFailed(
            [
                FieldIssue(
                    field_name,
                    "INVALID_ROLE",
                    "Ownership cannot be granted this way; use transferOwnership.",
                )
            ]
        )
    return role


def check_can_manage(actor: Role, target_current: Role, target_new: Role | None = None) -> None:
    """Admins manage everyone but the owner and cannot create peers above themselves."""
    if target_current is Role.OWNER:
        raise RuleViolation(
            "OWNER_PROTECTED",
            "The owner cannot be changed or removed; transfer ownership first.",
            "userId",
        )
    if actor is not Role.OWNER and target_new is Role.OWNER:
        raise RuleViolation("OWNER_PROTECTED", "Only the owner can transfer ownership.", "role")
