"""Identity mutations: each parses its input, calls one service and maps the result;
expected failures come back as members of the result union."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

import strawberry
from strawberry.types import Info

from fiscus.domain import identity as domain
from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.identity import Permission
from fiscus.schema import identity as types
from fiscus.schema.errors import attempt
from fiscus.schema.permissions import Authenticated, Public, requires
from fiscus.schema.relay import (
    parse_global_id,
    to_global_id,
)
from fiscus.services.identity import auth, members, password_reset, queries, registration
from fiscus.services.identity.auth import AuthResult

R = TypeVar("R")


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
    @strawberry.mutation(
        description="Creates an account and its organization. In email-verification mode "
        "(on in production) it answers SignUpPending for any valid input and mails the "
        "address; verifyEmail then creates the account.",
        permission_classes=[Public],
    )
    async def sign_up(self, info: Info, input: types.SignUpInput) -> types.SignUpResult:
        async def run() -> types.AuthPayload | types.SignUpPending:
            outcome = await registration.sign_up(
                info.context.identity,
                email=input.email,
                password=input.password,
                display_name=input.display_name,
                organization_name=input.organization_name,
                client_address=info.context.client_address,
            )
            if isinstance(outcome, registration.SignUpPending):
                return types.SignUpPending(email=outcome.email, message=outcome.message)
            return _auth_payload(outcome)

        return await attempt(run)

    @strawberry.mutation(
        description="Finishes a sign-up with the token mailed to its address: creates the "
        "account and its organization and logs in.",
        permission_classes=[Public],
    )
    async def verify_email(
        self, info: Info, input: types.VerifyEmailInput
    ) -> types.VerifyEmailResult:
        async def run() -> types.AuthPayload:
            return _auth_payload(
                await registration.verify_email(info.context.identity, token=input.token)
            )

        return await attempt(run)

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

        return await attempt(run)

    @strawberry.mutation(permission_classes=[Public])
    async def refresh_token(
        self, info: Info, input: types.RefreshTokenInput
    ) -> types.RefreshTokenResult:
        async def run() -> types.AuthPayload:
            return _auth_payload(
                await auth.refresh(info.context.identity, refresh_token=input.refresh_token)
            )

        return await attempt(run)

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
            await password_reset.request_password_reset(
                info.context.identity,
                email=input.email,
                client_address=info.context.client_address,
            )
            return types.RequestPasswordResetSuccess(ok=True)

        return await attempt(run)

    @strawberry.mutation(permission_classes=[Public])
    async def reset_password(
        self, info: Info, input: types.ResetPasswordInput
    ) -> types.ResetPasswordResult:
        async def run() -> types.ResetPasswordSuccess:
            await password_reset.reset_password(
                info.context.identity, token=input.token, new_password=input.new_password
            )
            return types.ResetPasswordSuccess(ok=True)

        return await attempt(run)

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

        return await attempt(run)

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

        return await attempt(run)

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

        return await attempt(run)

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

        return await attempt(run)

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

        return await attempt(run)

    @strawberry.mutation(permission_classes=[requires(Permission.MEMBERS_MANAGE)])
    async def remove_member(
        self, info: Info, input: types.RemoveMemberInput
    ) -> types.RemoveMemberResult:
        principal = await info.context.require_principal()

        async def run() -> types.RemoveMemberSuccess:
            user_id = _id_input(input.user_id, "User", "userId")
            await members.remove_member(info.context.identity, principal=principal, user_id=user_id)
            return types.RemoveMemberSuccess(removed_user_id=input.user_id)

        return await attempt(run)

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

        return await attempt(run)

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

        return await attempt(run)
