"""Organizations and their members: create, invite, accept, change role, remove, transfer."""

from __future__ import annotations

import logging
import uuid
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.identity import (
    Invitation,
    Membership,
    Organization,
    Principal,
    Role,
    check_can_manage,
    check_name,
    normalize_email,
    parse_role,
)
from fiscus.persistence.models.identity import InvitationRow, MembershipRow, OrganizationRow
from fiscus.persistence.uow import UnitOfWork
from fiscus.services.credentials import new_secret_token, token_digest
from fiscus.services.identity import audit
from fiscus.services.identity.context import IdentityContext

INVITATION_PREFIX = "inv_"
logger = logging.getLogger(__name__)


async def create_organization(
    ctx: IdentityContext, *, principal: Principal, name: str
) -> Organization:
    org_name = check_name(name, field_name="name")
    now = ctx.clock()
    org_id = uuid.uuid4()
    async with ctx.unit(org_id=org_id, user_id=principal.user_id) as uow:
        org = await found_organization(
            uow, org_id=org_id, name=org_name, owner_id=principal.user_id, now=now
        )
        await uow.commit()
    return org


async def found_organization(
    uow: UnitOfWork, *, org_id: UUID, name: str, owner_id: UUID, now: datetime
) -> Organization:
    """A new organization with its owner, recorded in its audit log. The unit of work must
    already act as ``org_id`` (RLS checks the insert)."""
    org = await uow.organizations.add(
        OrganizationRow(id=org_id, name=name, created_by=owner_id, created_at=now)
    )
    await uow.memberships.add(
        MembershipRow(org_id=org_id, user_id=owner_id, role=Role.OWNER.value, created_at=now)
    )
    await audit.record(
        uow,
        org_id=org_id,
        actor_user_id=owner_id,
        action="organization.created",
        subject_type="organization",
        subject_id=org_id,
        at=now,
        details={"name": name},
    )
    return org.to_domain()


async def invite_member(
    ctx: IdentityContext, *, principal: Principal, email: str, role: str
) -> Invitation:
    issues: list[FieldIssue] = []
    try:
        address = normalize_email(email)
    except ValidationFailed as failure:
        issues.extend(failure.issues)
    try:
        granted = parse_role(role)
    except ValidationFailed as failure:
        issues.extend(failure.issues)
    if issues:
        raise ValidationFailed(issues)
    now = ctx.clock()
    token_secret, _ = new_secret_token()
    token = f"{INVITATION_PREFIX}{principal.org_id.hex}_{token_secret}"
    async with _tenant(ctx, principal) as uow:
        existing_user = await uow.users.by_email(address)
        if existing_user and await uow.memberships.get(existing_user.id):
            raise ValidationFailed(
                [FieldIssue("email", "ALREADY_MEMBER", "This person is already a member.")]
            )
        if await uow.invitations.pending_for_email(address):
            raise ValidationFailed(
                [FieldIssue("email", "ALREADY_INVITED", "An invitation to this email is pending.")]
            )
        org = await uow.organizations.get(principal.org_id)
        assert org is not None
        row = await uow.invitations.add(
            InvitationRow(
                org_id=principal.org_id,
                id=uuid.uuid4(),
                email=address,
                role=granted.value,
                token_hash=token_digest(token),
                invited_by=principal.user_id,
                expires_at=now + timedelta(hours=ctx.settings.auth.invitation_ttl_hours),
                created_at=now,
            )
        )
        await audit.record_by(
            uow,
            principal,
            action="member.invited",
            subject_type="invitation",
            subject_id=row.id,
            at=now,
            details={"email": address, "role": granted.value},
        )
        uow.enqueue(
            "send_email",
            job_id=f"email:invitation:{row.id}",
            to=address,
            subject=f"You are invited to {org.name} on fiscus",
            body=(
                f"You have been invited to join {org.name} on fiscus as {granted.value}.\n\n"
                f"Sign up or log in with this email address, then accept with the "
                f"acceptInvitation mutation and this token (valid for "
                f"{ctx.settings.auth.invitation_ttl_hours} hours):\n\n{token}\n\n"
                f"{ctx.settings.base_url}/graphql\n"
            ),
        )
        await uow.commit()
    return row.to_domain()


async def accept_invitation(ctx: IdentityContext, *, user_id: UUID, token: str) -> Membership:
    org_id = _org_of_invitation_token(token)
    now = ctx.clock()
    async with ctx.unit(org_id=org_id, user_id=user_id) as uow:
        invitation = await uow.invitations.by_token_hash(token_digest(token))
        if invitation is None or invitation.revoked_at is not None:
            raise _invalid_invitation()
        if invitation.accepted_at is not None:
            raise ValidationFailed(
                [FieldIssue("token", "ALREADY_USED", "This invitation was already accepted.")]
            )
        if invitation.expires_at <= now:
            raise ValidationFailed(
                [FieldIssue("token", "TOKEN_EXPIRED", "This invitation has expired.")]
            )
        user = await uow.users.get(user_id)
        assert user is not None
        if user.email.lower() != invitation.email.lower():
            raise ValidationFailed(
                [
                    FieldIssue(
                        "token",
                        "EMAIL_MISMATCH",
                        "This invitation was sent to a different email address.",
                    )
                ]
            )
        if await uow.memberships.get(user_id):
            raise ValidationFailed(
                [FieldIssue("token", "ALREADY_MEMBER", "You are already a member.")]
            )
        invitation.accepted_at = now
        invitation.accepted_by = user_id
        membership = await uow.memberships.add(
            MembershipRow(org_id=org_id, user_id=user_id, role=invitation.role, created_at=now)
        )
        await audit.record(
            uow,
            org_id=org_id,
            actor_user_id=user_id,
            action="member.joined",
            subject_type="user",
            subject_id=user_id,
            at=now,
            details={"role": invitation.role, "invitation_id": str(invitation.id)},
        )
        await uow.commit()
    return membership.to_domain()


async def change_member_role(
    ctx: IdentityContext, *, principal: Principal, user_id: UUID, role: str
) -> Membership:
    new_role = parse_role(role)
    now = ctx.clock()
    async with _tenant(ctx, principal) as uow:
        target = await _member(uow, user_id)
        old_role = Role(target.role)
        check_can_manage(principal.role, old_role, new_role)
        if old_role is not new_role:
            target.role = new_role.value
            await audit.record_by(
                uow,
                principal,
                action="member.role_changed",
                subject_type="user",
                subject_id=user_id,
                at=now,
                details={"from": old_role.value, "to": new_role.value},
            )
            audit.access_changed(uow, user_id, "role-changed")
        await uow.commit()
    return target.to_domain()


async def remove_member(ctx: IdentityContext, *, principal: Principal, user_id: UUID) -> None:
    now = ctx.clock()
    async with _tenant(ctx, principal) as uow:
        target = await _member(uow, user_id)
        check_can_manage(principal.role, Role(target.role))
        await uow.memberships.remove(user_id)
        await audit.record_by(
            uow,
            principal,
            action="member.removed",
            subject_type="user",
            subject_id=user_id,
            at=now,
            details={"role": target.role},
        )
        audit.access_changed(uow, user_id, "removed")
        await uow.commit()


async def transfer_ownership(
    ctx: IdentityContext, *, principal: Principal, user_id: UUID
) -> Membership:
    if user_id == principal.user_id:
        raise ValidationFailed(
            [FieldIssue("userId", "ALREADY_OWNER", "You already own this organization.")]
        )
    now = ctx.clock()
    async with _tenant(ctx, principal) as uow:
        current = await uow.memberships.get(principal.user_id, for_update=True)
        if current is None or current.role != Role.OWNER.value:
            raise RuleViolation("NOT_OWNER", "Only the owner can transfer ownership.")
        target = await _member(uow, user_id)
        previous_role = target.role
        # Demote first: the partial unique index allows one owner at any moment.
        await uow.memberships.set_role(principal.user_id, Role.ADMIN.value)
        await uow.memberships.set_role(user_id, Role.OWNER.value)
        await audit.record_by(
            uow,
            principal,
            action="ownership.transferred",
            subject_type="user",
            subject_id=user_id,
            at=now,
            details={"from_user_id": str(principal.user_id), "previous_role": previous_role},
        )
        audit.access_changed(uow, principal.user_id, "role-changed")
        audit.access_changed(uow, user_id, "role-changed")
        await uow.commit()
    return Membership(principal.org_id, user_id, Role.OWNER, target.created_at)


async def delete_organization(
    ctx: IdentityContext, *, principal: Principal, confirm_name: str
) -> None:
    """Deletes the caller's organization and everything in it (members, invitations, audit
    log). The caller must type the organization's name to confirm."""
    async with _tenant(ctx, principal) as uow:
        org = await uow.organizations.get(principal.org_id, for_update=True)
        if org is None:
            raise NotFound("Organization not found.")
        if confirm_name != org.name:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "confirmName",
                        "CONFIRMATION_MISMATCH",
                        "Type the organization's exact name to confirm its deletion.",
                    )
                ]
            )
        member_ids = [m.user_id for m in await uow.memberships.all(uow.memberships.select())]
        await uow.organizations.delete(principal.org_id)
        for user_id in member_ids:
            audit.access_changed(uow, user_id, "organization-deleted")
        await uow.commit()
    logger.warning(
        "organization deleted",
        extra={"org_id": str(principal.org_id), "by_user_id": str(principal.user_id)},
    )


def _tenant(ctx: IdentityContext, principal: Principal) -> AbstractAsyncContextManager[UnitOfWork]:
    return ctx.unit(org_id=principal.org_id, user_id=principal.user_id)


async def _member(uow: UnitOfWork, user_id: UUID) -> MembershipRow:
    row = await uow.memberships.get(user_id, for_update=True)
    if row is None:
        raise NotFound("No such member.", "userId")
    return row


def _org_of_invitation_token(token: str) -> UUID:
    if not token.startswith(INVITATION_PREFIX):
        raise _invalid_invitation()
    org_hex, _, secret = token[len(INVITATION_PREFIX) :].partition("_")
    try:
        org_id = UUID(hex=org_hex)
    except ValueError:
        raise _invalid_invitation() from None
    if not secret:
        raise _invalid_invitation()
    return org_id


def _invalid_invitation() -> ValidationFailed:
    return ValidationFailed([FieldIssue("token", "TOKEN_INVALID", "This invitation is invalid.")])
