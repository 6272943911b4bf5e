"""Identity queries, mutations and the organization activity subscription.

Each resolver parses its input, calls one service and maps the result with
``Type.from_domain``. Expected failures come back as members of the result union.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from strawberry.types import Info

from fiscus.domain import identity as domain
from fiscus.domain.errors import DomainError, FieldIssue, ValidationFailed
from fiscus.domain.identity import Permission
from fiscus.realtime import channels
from fiscus.schema import identity as types
from fiscus.schema.errors import to_user_error
from fiscus.schema.permissions import Authenticated, Public, requires
from fiscus.schema.relay import (
    Connection,
    Node,
    build_connection,
    check_first,
    decode_cursor,
    encode_cursor,
    from_global_id,
    parse_global_id,
    to_global_id,
)
from fiscus.services.identity import auth, members, queries
from fiscus.services.identity.auth import AuthResult

R = TypeVar("R")


@strawberry.type(description="The organization the caller is acting in.")
class Organization(Node):
    id: strawberry.ID
    name: str
    created_at: datetime

    @strawberry.field(
        description="Members, oldest first.",
        permission_classes=[requires(Permission.MEMBERS_READ)],
    )
    async def members(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[types.Member]:
        principal = await info.context.require_principal()
        page, total = await queries.members_page(
            info.context.reads,
            principal,
            first=check_first(first),
            after=decode_cursor(after),
        )
        return build_connection(
            [types.Member.from_domain(m) for m in page.items],
            has_next=page.has_next,
            had_cursor=after is not None,
            total_count=total,
            cursor_of=lambda m: encode_cursor(m.joined_at, m.user_id),
        )

    @strawberry.field(
        description="Invitations not yet accepted, revoked or expired.",
        permission_classes=[requires(Permission.MEMBERS_MANAGE)],
    )
    async def pending_invitations(self, info: Info) -> list[types.Invitation]:
        principal = await info.context.require_principal()
        found = await queries.pending_invitations(info.context.reads, principal)
        return [types.Invitation.from_domain(i) for i in found]

    @classmethod
    def from_domain(cls, org: domain.Organization) -> Organization:
        return cls(
            id=to_global_id("Organization", org.id), name=org.name, created_at=org.created_at
        )


@strawberry.type(description="The caller: who they are and where they act.")
class Viewer:
    role: domain.Role
    permissions: list[str]
    user_id: strawberry.Private[UUID]
    org_id: strawberry.Private[UUID]

    @strawberry.field
    async def user(self, info: Info) -> types.User:
        found = await info.context.loaders.users.load(self.user_id)
        return types.User.from_domain(found)

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        found = await info.context.loaders.organizations.load(self.org_id)
        return Organization.from_domain(found)

    @strawberry.field(description="Every organization the caller belongs to.")
    async def memberships(self, info: Info) -> list[types.Membership]:
        principal = await info.context.require_principal()
        mine = await queries.my_memberships(info.context.reads, principal)
        orgs = await info.context.loaders.organizations.load_many([m.org_id for m in mine])
        return [
            types.Membership(
                organization=types.OrganizationSummary(
                    id=to_global_id("Organization", org.id), name=org.name
                ),
                role=m.role,
                joined_at=m.created_at,
            )
            for m, org in zip(mine, orgs, strict=True)
            if org is not None
        ]


@strawberry.type
class IdentityQuery:
    @strawberry.field(permission_classes=[Authenticated])
    async def me(self, info: Info) -> Viewer:
        principal = await info.context.require_principal()
        return Viewer(
            role=principal.role,
            permissions=sorted(p.value for p in principal.permissions),
            user_id=principal.user_id,
            org_id=principal.org_id,
        )

    @strawberry.field(permission_classes=[requires(Permission.ORG_READ)])
    async def organization(self, info: Info) -> Organization:
        principal = await info.context.require_principal()
        found = await info.context.loaders.organizations.load(principal.org_id)
        return Organization.from_domain(found)

    @strawberry.field(
        description="What changed in the organization, newest first.",
        permission_classes=[requires(Permission.AUDIT_READ)],
    )
    async def audit_log(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: types.AuditLogFilter | None = None,
    ) -> Connection[types.AuditEvent]:
        principal = await info.context.require_principal()
        actor = None
        if filter and filter.actor_id is not None:
            actor = parse_global_id(filter.actor_id, "User", field="filter.actorId")
        page = await queries.audit_page(
            info.context.reads,
            principal,
            first=check_first(first),
            after=decode_cursor(after),
            actions=filter.actions if filter else None,
            actor_user_id=actor,
            since=filter.since if filter else None,
            until=filter.until if filter else None,
        )
        if filter and filter.actor_id is not None and actor is None:
            page = queries.Page([], False)
        return build_connection(
            [types.AuditEvent.from_domain(e) for e in page.items],
            has_next=page.has_next,
            had_cursor=after is not None,
            cursor_of=lambda e: encode_cursor(e.occurred_at, _uuid_of(e.id)),
        )

    @strawberry.field(
        description="Any object by its global id; null when it does not exist or is not "
        "visible to the caller.",
        permission_classes=[Authenticated],
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        principal = await info.context.require_principal()
        return await _resolve_node(info, principal, id)


async def _resolve_node(info: Info, principal: domain.Principal, global_id: str) -> Node | None:
    type_name, raw = from_global_id(global_id)
    ctx = info.context.reads
    try:
        if type_name == "Member":
            org_raw, _, user_raw = raw.partition(".")
            if UUID(org_raw) != principal.org_id or not principal.can(Permission.MEMBERS_READ):
                return None
            found_member = await queries.membership(ctx, principal, UUID(user_raw))
            return types.Member.from_domain(found_member) if found_member else None
        key = UUID(raw)
    except ValueError:
        return None
    if type_name == "User":
        user = await info.context.loaders.users.load(key)
        return types.User.from_domain(user) if user else None
    if type_name == "Organization":
        if key != principal.org_id or not principal.can(Permission.ORG_READ):
            return None
        org = await info.context.loaders.organizations.load(key)
        return Organization.from_domain(org) if org else None
    if type_name == "Invitation" and principal.can(Permission.MEMBERS_MANAGE):
        invitation = await queries.invitation(ctx, principal, key)
        return types.Invitation.from_domain(invitation) if invitation else None
    if type_name == "AuditEvent" and principal.can(Permission.AUDIT_READ):
        event = await queries.audit_event(ctx, principal, key)
        return types.AuditEvent.from_domain(event) if event else None
    return None


def _uuid_of(global_id: str) -> UUID:
    return UUID(from_global_id(global_id)[1])


async def _attempt(call: Callable[[], Awaitable[R]]) -> R | Any:
    try:
        return await call()
    except DomainError as error:
        return to_user_error(error)


def _auth_payload(result: AuthResult) -> types.AuthPayload:
    return types.AuthPayload(
        access_token=result.access_token,
        access_token_expires_at=result.access_token_expires_at,
        refresh_token=result.refresh_token,
        refresh_token_expires_at=result.refresh_token_expires_at,
        user=types.User.from_domain(result.user),
        organization=types.OrganizationSummary(
            id=to_global_id("Organization", result.organization.id),
            name=result.organization.name,
        ),
        role=result.role,
    )


def _id_input(global_id: str, type_name: str, field: str) -> UUID:
    parsed = parse_global_id(global_id, type_name, field=field)
    if parsed is None:
        raise ValidationFailed([FieldIssue(field, "INVALID_ID", f"Not a valid {type_name} id.")])
    return parsed


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(permission_classes=[Public])
    async def sign_up(self, info: Info, input: types.SignUpInput) -> types.SignUpResult:
        async def run() -> types.AuthPayload:
            return _auth_payload(
                await auth.sign_up(
                    info.context.identity,
                    email=input.email,
                    password=input.password,
                    display_name=input.display_name,
                    organization_name=input.organization_name,
                )
            )

        return await _attempt(run)

    @strawberry.mutation(permission_classes=[Public])
    async def log_in(self, info: Info, input: types.LogInInput) -> types.LogInResult:
        async def run() -> types.AuthPayload:
            org_id = (
                _id_input(input.organization_id, "Organization", "organizationId")
                if input.organization_id
                else None
            )
            return _auth_payload(
                await auth.log_in(
                    info.context.identity,
                    email=input.email,
                    password=input.password,
                    organization_id=org_id,
                    client_address=info.context.client_address,
                )
            )

        return await _attempt(run)

    @strawberry.mutation(permission_classes=[Public])
    async def refresh_token(
        self, info: Info, input: types.RefreshTokenInput
    ) -> types.RefreshTokenResult:
        async def run() -> types.AuthPayload:
            return _auth_payload(
                await auth.refresh(info.context.identity, refresh_token=input.refresh_token)
            )

        return await _attempt(run)

    @strawberry.mutation(
        description="Ends the caller's session: its refresh tokens and access tokens stop "
        "working at once.",
        permission_classes=[Authenticated],
    )
    async def log_out(self, info: Info, input: types.LogOutInput) -> types.LogOutResult:
        principal = await info.context.require_principal()
        await auth.log_out(info.context.identity, principal=principal)
        return types.LogOutSuccess(ok=True)

    @strawberry.mutation(permission_classes=[Public])
    async def request_password_reset(
        self, info: Info, input: types.RequestPasswordResetInput
    ) -> types.RequestPasswordResetResult:
        async def run() -> types.RequestPasswordResetSuccess:
            await auth.request_password_reset(info.context.identity, email=input.email)
            return types.RequestPasswordResetSuccess(ok=True)

        return await _attempt(run)

    @strawberry.mutation(permission_classes=[Public])
    async def reset_password(
        self, info: Info, input: types.ResetPasswordInput
    ) -> types.ResetPasswordResult:
        async def run() -> types.ResetPasswordSuccess:
            await auth.reset_password(
                info.context.identity, token=input.token, new_password=input.new_password
            )
            return types.ResetPasswordSuccess(ok=True)

        return await _attempt(run)

    @strawberry.mutation(permission_classes=[Authenticated])
    async def switch_organization(
        self, info: Info, input: types.SwitchOrganizationInput
    ) -> types.SwitchOrganizationResult:
        principal = await info.context.require_principal()

        async def run() -> types.AuthPayload:
            org_id = _id_input(input.organization_id, "Organization", "organizationId")
            return _auth_payload(
                await auth.switch_organization(
                    info.context.identity, principal=principal, organization_id=org_id
                )
            )

        return await _attempt(run)

    @strawberry.mutation(permission_classes=[Authenticated])
    async def create_organization(
        self, info: Info, input: types.CreateOrganizationInput
    ) -> types.CreateOrganizationResult:
        principal = await info.context.require_principal()

        async def run() -> types.CreateOrganizationSuccess:
            org = await members.create_organization(
                info.context.identity, principal=principal, name=input.name
            )
            return types.CreateOrganizationSuccess(
                organization=types.OrganizationSummary(
                    id=to_global_id("Organization", org.id), name=org.name
                )
            )

        return await _attempt(run)

    @strawberry.mutation(permission_classes=[requires(Permission.MEMBERS_MANAGE)])
    async def invite_member(
        self, info: Info, input: types.InviteMemberInput
    ) -> types.InviteMemberResult:
        principal = await info.context.require_principal()

        async def run() -> types.InviteMemberSuccess:
            invitation = await members.invite_member(
                info.context.identity,
                principal=principal,
                email=input.email,
                role=input.role.value,
            )
            return types.InviteMemberSuccess(invitation=types.Invitation.from_domain(invitation))

        return await _attempt(run)

    @strawberry.mutation(permission_classes=[Authenticated])
    async def accept_invitation(
        self, info: Info, input: types.AcceptInvitationInput
    ) -> types.AcceptInvitationResult:
        principal = await info.context.require_principal()

        async def run() -> types.AcceptInvitationSuccess:
            membership = await members.accept_invitation(
                info.context.identity, user_id=principal.user_id, token=input.token
            )
            orgs = await queries.organizations_by_id(
                info.context.identity,
                domain.Principal(
                    principal.user_id,
                    membership.org_id,
                    membership.role,
                    principal.session_id,
                    principal.expires_at,
                ),
                [membership.org_id],
            )
            org = orgs[membership.org_id]
            return types.AcceptInvitationSuccess(
                organization=types.OrganizationSummary(
                    id=to_global_id("Organization", org.id), name=org.name
                ),
                role=membership.role,
            )

        return await _attempt(run)

    @strawberry.mutation(permission_classes=[requires(Permission.MEMBERS_MANAGE)])
    async def change_member_role(
        self, info: Info, input: types.ChangeMemberRoleInput
    ) -> types.ChangeMemberRoleResult:
        principal = await info.context.require_principal()

        async def run() -> types.ChangeMemberRoleSuccess:
            membership = await members.change_member_role(
                info.context.identity,
                principal=principal,
                user_id=_id_input(input.user_id, "User", "userId"),
                role=input.role.value,
            )
            return types.ChangeMemberRoleSuccess(member=types.Member.from_domain(membership))

        return await _attempt(run)

    @strawberry.mutation(permission_classes=[requires(Permission.MEMBERS_MANAGE)])
    async def remove_member(
        self, info: Info, input: types.RemoveMemberInput
    ) -> types.RemoveMemberResult:
        principal = await info.context.require_principal()

        async def run() -> types.RemoveMemberSuccess:
            user_id = _id_input(input.user_id, "User", "userId")
            await members.remove_member(info.context.identity, principal=principal, user_id=user_id)
            return types.RemoveMemberSuccess(removed_user_id=input.user_id)

        return await _attempt(run)

    @strawberry.mutation(permission_classes=[requires(Permission.OWNERSHIP_TRANSFER)])
    async def transfer_ownership(
        self, info: Info, input: types.TransferOwnershipInput
    ) -> types.TransferOwnershipResult:
        principal = await info.context.require_principal()

        async def run() -> types.TransferOwnershipSuccess:
            membership = await members.transfer_ownership(
                info.context.identity,
                principal=principal,
                user_id=_id_input(input.user_id, "User", "userId"),
            )
            return types.TransferOwnershipSuccess(new_owner=types.Member.from_domain(membership))

        return await _attempt(run)

    @strawberry.mutation(
        description="Deletes the caller's organization with everything in it. Owner only.",
        permission_classes=[requires(Permission.ORG_DELETE)],
    )
    async def delete_organization(
        self, info: Info, input: types.DeleteOrganizationInput
    ) -> types.DeleteOrganizationResult:
        principal = await info.context.require_principal()

        async def run() -> types.DeleteOrganizationSuccess:
            await members.delete_organization(
                info.context.identity, principal=principal, confirm_name=input.confirm_name
            )
            return types.DeleteOrganizationSuccess(
                deleted_organization_id=to_global_id("Organization", principal.org_id)
            )

        return await _attempt(run)


@strawberry.type
class IdentitySubscription:
    @strawberry.subscription(
        description="Every audit-logged change in the caller's organization, pushed after "
        "it is committed.",
        permission_classes=[requires(Permission.AUDIT_READ)],
    )
    async def organization_activity(self, info: Info) -> AsyncGenerator[types.AuditEvent, None]:
        principal = await info.context.require_principal()
        channel = channels.org_activity(principal.org_id)
        async with info.context.hub.subscribe(channel, replay_snapshot=False) as messages:
            async for envelope in messages:
                yield types.AuditEvent.from_domain(_audit_event_from(envelope.payload))


def _audit_event_from(payload: dict[str, Any]) -> domain.AuditEvent:
    return domain.AuditEvent(
        id=UUID(payload["id"]),
        org_id=UUID(payload["org_id"]),
        occurred_at=datetime.fromisoformat(payload["occurred_at"]),
        actor_user_id=UUID(payload["actor_user_id"]) if payload["actor_user_id"] else None,
        action=payload["action"],
        subject_type=payload["subject_type"],
        subject_id=payload["subject_id"],
        details=payload["details"],
    )
