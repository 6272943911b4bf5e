"""GraphQL types of identity and tenancy. Built from domain objects with ``from_domain``;
nested objects come through the request's DataLoaders (``info.context.loaders``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from fiscus.domain import identity as domain
from fiscus.schema.errors import (
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    RuleViolationError,
    ValidationError,
)
from fiscus.schema.relay import Node, to_global_id

# Registers the domain enum with Strawberry (it returns the same class): annotate with it.
strawberry.enum(domain.Role, name="Role")
Role = domain.Role


@strawberry.type
class User(Node):
    id: strawberry.ID
    email: str
    display_name: str
    created_at: datetime

    @classmethod
    def from_domain(cls, user: domain.User) -> User:
        return cls(
            id=to_global_id("User", user.id),
            email=user.email,
            display_name=user.display_name,
            created_at=user.created_at,
        )


@strawberry.type(description="An organization's name, as seen by any of its members.")
class OrganizationSummary:
    id: strawberry.ID
    name: str


@strawberry.type(description="One of the caller's memberships, in any organization.")
class Membership:
    organization: OrganizationSummary
    role: domain.Role
    joined_at: datetime


@strawberry.type
class Member(Node):
    id: strawberry.ID
    role: domain.Role
    joined_at: datetime
    user_id: strawberry.Private[Any]

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        found = await info.context.loaders.users.load(self.user_id)
        return User.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, membership: domain.Membership) -> Member:
        return cls(
            id=to_global_id("Member", f"{membership.org_id}.{membership.user_id}"),
            role=membership.role,
            joined_at=membership.created_at,
            user_id=membership.user_id,
        )


@strawberry.type
class Invitation(Node):
    id: strawberry.ID
    email: str
    role: domain.Role
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    invited_by_id: strawberry.Private[Any]

    @strawberry.field
    async def invited_by(self, info: Info) -> User | None:
        found = await info.context.loaders.users.load(self.invited_by_id)
        return User.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, invitation: domain.Invitation) -> Invitation:
        return cls(
            id=to_global_id("Invitation", invitation.id),
            email=invitation.email,
            role=invitation.role,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            accepted_at=invitation.accepted_at,
            invited_by_id=invitation.invited_by,
        )


@strawberry.type
class AuditEvent(Node):
    id: strawberry.ID
    occurred_at: datetime
    action: str
    subject_type: str
    subject_id: str
    details: JSON
    actor_user_id: strawberry.Private[Any]

    @strawberry.field
    async def actor(self, info: Info) -> User | None:
        if self.actor_user_id is None:
            return None
        found = await info.context.loaders.users.load(self.actor_user_id)
        return User.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, event: domain.AuditEvent) -> AuditEvent:
        return cls(
            id=to_global_id("AuditEvent", event.id),
            occurred_at=event.occurred_at,
            action=event.action,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            details=cast(JSON, event.details),
            actor_user_id=event.actor_user_id,
        )


@strawberry.input
class AuditLogFilter:
    actions: list[str] | None = None
    actor_id: strawberry.ID | None = None
    since: datetime | None = None
    until: datetime | None = None


# --- mutation inputs and results -------------------------------------------------------


@strawberry.type
class AuthPayload:
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime
    user: User
    organization: OrganizationSummary
    role: domain.Role


@strawberry.input
class SignUpInput:
    email: str
    password: str
    display_name: str
    organization_name: str


@strawberry.type(
    description="Email-verification mode: the same answer whether or not the email has an "
    "account. The address was mailed either a token for verifyEmail or, if it has an "
    "account, a note telling its owner to log in."
)
class SignUpPending:
    email: str
    message: str


@strawberry.input
class VerifyEmailInput:
    token: str = strawberry.field(description="The token mailed after signUp.")


@strawberry.input
class LogInInput:
    email: str
    password: str
    organization_id: strawberry.ID | None = None


@strawberry.input
class RefreshTokenInput:
    refresh_token: str


@strawberry.input
class LogOutInput:
    reason: str | None = None


@strawberry.type
class LogOutSuccess:
    ok: bool


@strawberry.input
class RequestPasswordResetInput:
    email: str


@strawberry.type(description="Returned whether or not the email has an account (unless throttled).")
class RequestPasswordResetSuccess:
    ok: bool


@strawberry.input
class ResetPasswordInput:
    token: str
    new_password: str


@strawberry.type
class ResetPasswordSuccess:
    ok: bool


@strawberry.input
class SwitchOrganizationInput:
    organization_id: strawberry.ID


@strawberry.input
class CreateOrganizationInput:
    name: str


@strawberry.type
class CreateOrganizationSuccess:
    organization: OrganizationSummary


@strawberry.input
class InviteMemberInput:
    email: str
    role: domain.Role


@strawberry.type
class InviteMemberSuccess:
    invitation: Invitation


@strawberry.input
class AcceptInvitationInput:
    token: str


@strawberry.type
class AcceptInvitationSuccess:
    organization: OrganizationSummary
    role: domain.Role


@strawberry.input
class ChangeMemberRoleInput:
    user_id: strawberry.ID
    role: domain.Role


@strawberry.type
class ChangeMemberRoleSuccess:
    member: Member


@strawberry.input
class RemoveMemberInput:
    user_id: strawberry.ID


@strawberry.type
class RemoveMemberSuccess:
    removed_user_id: strawberry.ID


@strawberry.input
class TransferOwnershipInput:
    user_id: strawberry.ID


@strawberry.type
class TransferOwnershipSuccess:
    new_owner: Member


@strawberry.input
class DeleteOrganizationInput:
    confirm_name: str = strawberry.field(description="The organization's exact name.")


@strawberry.type
class DeleteOrganizationSuccess:
    deleted_organization_id: strawberry.ID


def _union(name: str, *types: Any) -> Any:
    return Annotated[types[0] if len(types) == 1 else _or(types), strawberry.union(name)]


def _or(types: tuple[Any, ...]) -> Any:
    result = types[0]
    for t in types[1:]:
        result = result | t
    return result


SignUpResult = _union("SignUpResult", AuthPayload, SignUpPending, ValidationError, RateLimitedError)
VerifyEmailResult = _union("VerifyEmailResult", AuthPayload, ValidationError)
LogInResult = _union(
    "LogInResult", AuthPayload, AuthenticationError, ValidationError, RateLimitedError
)
RefreshTokenResult = _union("RefreshTokenResult", AuthPayload, AuthenticationError)
LogOutResult = _union("LogOutResult", LogOutSuccess, ValidationError)
RequestPasswordResetResult = _union(
    "RequestPasswordResetResult", RequestPasswordResetSuccess, ValidationError, RateLimitedError
)
ResetPasswordResult = _union("ResetPasswordResult", ResetPasswordSuccess, ValidationError)
SwitchOrganizationResult = _union("SwitchOrganizationResult", AuthPayload, ValidationError)
CreateOrganizationResult = _union(
    "CreateOrganizationResult", CreateOrganizationSuccess, ValidationError
)
InviteMemberResult = _union("InviteMemberResult", InviteMemberSuccess, ValidationError)
AcceptInvitationResult = _union("AcceptInvitationResult", AcceptInvitationSuccess, ValidationError)
ChangeMemberRoleResult = _union(
    "ChangeMemberRoleResult",
    ChangeMemberRoleSuccess,
    ValidationError,
    NotFoundError,
    RuleViolationError,
)
RemoveMemberResult = _union(
    "RemoveMemberResult", RemoveMemberSuccess, ValidationError, NotFoundError, RuleViolationError
)
TransferOwnershipResult = _union(
    "TransferOwnershipResult",
    TransferOwnershipSuccess,
    ValidationError,
    NotFoundError,
    RuleViolationError,
)
DeleteOrganizationResult = _union(
    "DeleteOrganizationResult", DeleteOrganizationSuccess, ValidationError, NotFoundError
)
