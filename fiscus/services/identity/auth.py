"""Sign-up, log-in, token refresh with rotation and reuse detection, log-out, switching
organization, and authenticating a request. Password resets: ``password_reset``; sign-up
through the API (throttled, email verification): ``registration``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID

from fiscus.domain.errors import AuthenticationFailed, FieldIssue, ValidationFailed
from fiscus.domain.identity import (
    Organization,
    Principal,
    Role,
    User,
    check_name,
    check_password,
    normalize_email,
)
from fiscus.persistence.models.identity import (
    AuthSessionRow,
    MembershipRow,
    OrganizationRow,
    RefreshTokenRow,
    UserRow,
)
from fiscus.persistence.uow import UnitOfWork
from fiscus.services import throttling
from fiscus.services.credentials import new_secret_token, token_digest
from fiscus.services.identity import audit
from fiscus.services.identity.context import IdentityContext
from fiscus.services.identity.members import found_organization

T = TypeVar("T")

INVALID_CREDENTIALS = "Email or password is incorrect."


@dataclass(frozen=True)
class AuthResult:
    user: User
    organization: Organization
    role: Role
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime


@dataclass(frozen=True)
class SignUpForm:
    """A sign-up's checked, normalized fields (the password travels as its hash)."""

    email: str
    display_name: str
    organization_name: str


def check_sign_up(
    ctx: IdentityContext,
    *,
    email: str,
    password: str,
    display_name: str,
    organization_name: str,
) -> SignUpForm:
    """Reports every invalid field at once (ValidationFailed)."""
    issues: list[FieldIssue] = []
    normalized = _collect(issues, lambda: normalize_email(email))
    _collect(
        issues, lambda: check_password(password, min_length=ctx.settings.auth.password_min_length)
    )
    name = _collect(issues, lambda: check_name(display_name, field_name="displayName"))
    org_name = _collect(
        issues, lambda: check_name(organization_name, field_name="organizationName")
    )
    if issues:
        raise ValidationFailed(issues)
    assert normalized and name and org_name
    return SignUpForm(normalized, name, org_name)


async def sign_up(
    ctx: IdentityContext,
    *,
    email: str,
    password: str,
    display_name: str,
    organization_name: str,
) -> AuthResult:
    """Creates the account at once. A taken email answers EMAIL_TAKEN, so this path tells
    whether an address has an account: the API uses it only outside email-verification
    mode (``registration.sign_up``)."""
    form = check_sign_up(
        ctx,
        email=email,
        password=password,
        display_name=display_name,
        organization_name=organization_name,
    )
    password_hash = await ctx.hasher.hash(password)
    user_id, org_id = uuid.uuid4(), uuid.uuid4()
    async with ctx.unit(org_id=org_id, user_id=user_id) as uow:
        result = await open_account(ctx, uow, form, password_hash, user_id=user_id, org_id=org_id)
        if result is None:
            raise ValidationFailed(
                [FieldIssue("email", "EMAIL_TAKEN", "An account with this email already exists.")]
            )
        await uow.commit()
    return result


async def open_account(
    ctx: IdentityContext,
    uow: UnitOfWork,
    form: SignUpForm,
    password_hash: str,
    *,
    user_id: UUID,
    org_id: UUID,
) -> AuthResult | None:
    """The user, their organization (as owner) and a first session, in ``uow`` (whose
    tenant is ``org_id`` / ``user_id``); None when the email has an account already. The
    check holds a lock on the email until ``uow`` ends, so of two concurrent sign-ups of
    one address exactly one creates the account."""
    await uow.pending_sign_ups.serialize_email(form.email)
    if await uow.users.by_email(form.email) is not None:
        return None
    now = ctx.clock()
    user = await uow.users.add(
        UserRow(
            id=user_id,
            email=form.email,
            display_name=form.display_name,
            password_hash=password_hash,
            created_at=now,
            password_changed_at=now,
        )
    )
    org = await found_organization(
        uow, org_id=org_id, name=form.organization_name, owner_id=user.id, now=now
    )
    return await _start_session(ctx, uow, user, org, Role.OWNER)


async def log_in(
    ctx: IdentityContext,
    *,
    email: str,
    password: str,
    organization_id: UUID | None,
    client_address: str | None,
) -> AuthResult:
    """Unknown email and wrong password fail identically, after the same argon2 work."""
    key = email.strip().lower()
    attempts = (
        (throttling.LOGIN_FAILURES_PER_ACCOUNT, key),
        (throttling.LOGIN_FAILURES_PER_ADDRESS, client_address),
    )
    await ctx.throttle.check(*attempts)
    async with ctx.unit() as uow:
        user = await uow.users.by_email(key) if key else None
        valid = await ctx.hasher.verify(user.password_hash if user else None, password)
        if user is None or not valid:
            await ctx.throttle.record(*attempts)
            raise AuthenticationFailed("INVALID_CREDENTIALS", INVALID_CREDENTIALS)
        await uow.set_tenant(None, user.id)
        memberships = await uow.memberships.of_user(user.id)
        chosen = _choose_membership(memberships, organization_id)
        await uow.set_tenant(chosen.org_id, user.id)
        org = await uow.organizations.get(chosen.org_id)
        assert org is not None
        result = await _start_session(ctx, uow, user, org, Role(chosen.role))
        await uow.commit()
    await ctx.throttle.forget(attempts[0])
    return result


async def refresh(ctx: IdentityContext, *, refresh_token: str) -> AuthResult:
    """Rotates the refresh token. Presenting an already-used one revokes its whole family."""
    now = ctx.clock()
    digest = token_digest(refresh_token)
    async with ctx.unit() as uow:
        token = await uow.sessions.refresh_token(digest)
        session = await uow.sessions.get(token.session_id) if token else None
        if token is None or session is None:
            raise _invalid_refresh()
        if token.used_at is not None:
            await uow.sessions.revoke(session.id, at=now, reason="reuse")
            audit.access_changed(uow, session.user_id, "session-revoked")
            await uow.commit()
            raise AuthenticationFailed(
                "TOKEN_REUSED",
                "This refresh token was already used; the session has been ended for safety.",
                "refreshToken",
            )
        if session.revoked_at is not None or token.expires_at <= now or session.expires_at <= now:
            raise _invalid_refresh()
        token.used_at = now
        user = await uow.users.get(session.user_id)
        assert user is not None
        await uow.set_tenant(None, user.id)
        memberships = await uow.memberships.of_user(user.id)
        active = [m for m in memberships if m.org_id == session.active_organization_id]
        candidates = active or list(memberships)
        if not candidates:
            await uow.sessions.revoke(session.id, at=now, reason="no-membership")
            await uow.commit()
            raise AuthenticationFailed(
                "NO_MEMBERSHIP", "You are not a member of any organization.", "refreshToken"
            )
        chosen = candidates[0]
        await uow.set_tenant(chosen.org_id, user.id)
        org = await uow.organizations.get(chosen.org_id)
        assert org is not None
        result = await _rotate(ctx, uow, session, user, org, Role(chosen.role))
        await uow.commit()
    return result


async def log_out(ctx: IdentityContext, *, principal: Principal) -> None:
    async with ctx.unit(user_id=principal.user_id) as uow:
        await uow.sessions.revoke(principal.session_id, at=ctx.clock(), reason="logout")
        audit.access_changed(uow, principal.user_id, "logout")
        await uow.commit()


async def switch_organization(
    ctx: IdentityContext, *, principal: Principal, organization_id: UUID
) -> AuthResult:
    async with ctx.unit(org_id=organization_id, user_id=principal.user_id) as uow:
        membership = await uow.memberships.get(principal.user_id)
        org = await uow.organizations.get(organization_id)
        session = await uow.sessions.get(principal.session_id)
        if membership is None or org is None:
            raise ValidationFailed(
                [FieldIssue("organizationId", "NOT_FOUND", "Organization not found.")]
            )
        user = await uow.users.get(principal.user_id)
        assert user is not None and session is not None
        session.active_organization_id = organization_id
        result = await _issue(ctx, uow, session, user, org.to_domain(), Role(membership.role))
        await uow.commit()
    return result


@dataclass(frozen=True)
class Caller:
    """An authenticated caller with their user and organization, as read with the check."""

    principal: Principal
    user: User
    organization: Organization


async def authenticate(ctx: IdentityContext, token: str) -> Principal:
    """Decode the access token, then confirm against the database that its session is live
    and read the caller's *current* role (a removal or demotion applies to the next
    request, whatever the token says)."""
    return await confirm(ctx, ctx.tokens.decode(token))


async def confirm(ctx: IdentityContext, claimed: Principal) -> Principal:
    """The caller as the database knows them now, or AuthenticationFailed."""
    return (await confirm_caller(ctx, claimed)).principal


async def confirm_caller(ctx: IdentityContext, claimed: Principal) -> Caller:
    """``confirm`` with the caller's user and organization, read in the same statement."""
    async with ctx.reading(org_id=claimed.org_id, user_id=claimed.user_id) as reads:
        access = await reads.identity.caller_access(
            session_id=claimed.session_id, user_id=claimed.user_id, org_id=claimed.org_id
        )
    if (
        access is None
        or not access.session_live
        or access.role is None
        or access.organization is None
    ):
        raise AuthenticationFailed("SESSION_ENDED", "Your session has ended; log in again.")
    return Caller(_with_role(claimed, access.role), access.user, access.organization)


async def revalidate(ctx: IdentityContext, principal: Principal) -> Principal | None:
    async with ctx.reading(org_id=principal.org_id, user_id=principal.user_id) as reads:
        live, role = await reads.identity.access_check(
            session_id=principal.session_id, user_id=principal.user_id, org_id=principal.org_id
        )
    if not live or role is None:
        return None
    return _with_role(principal, role)


def _with_role(principal: Principal, role: str) -> Principal:
    if role == principal.role.value:
        return principal
    return Principal(
        principal.user_id, principal.org_id, Role(role), principal.session_id, principal.expires_at
    )


def _collect(issues: list[FieldIssue], check: Callable[[], T]) -> T | None:
    """Run one validation, gathering its issues so the caller reports all of them at once."""
    try:
        return check()
    except ValidationFailed as failure:
        issues.extend(failure.issues)
        return None


def _invalid_refresh() -> AuthenticationFailed:
    return AuthenticationFailed(
        "TOKEN_INVALID", "The refresh token is invalid or has expired.", "refreshToken"
    )


def _choose_membership(
    memberships: Sequence[MembershipRow], organization_id: UUID | None
) -> MembershipRow:
    rows = list(memberships)
    if organization_id is not None:
        rows = [m for m in rows if m.org_id == organization_id]
        if not rows:
            raise ValidationFailed(
                [FieldIssue("organizationId", "NOT_FOUND", "Organization not found.")]
            )
    if not rows:
        raise AuthenticationFailed(
            "NO_MEMBERSHIP", "You are not a member of any organization.", None
        )
    return rows[0]


async def _start_session(
    ctx: IdentityContext,
    uow: UnitOfWork,
    user: UserRow,
    org: Organization | OrganizationRow,
    role: Role,
) -> AuthResult:
    now = ctx.clock()
    organization = org if isinstance(org, Organization) else org.to_domain()
    session = await uow.sessions.add(
        AuthSessionRow(
            id=uuid.uuid4(),
            user_id=user.id,
            active_organization_id=organization.id,
            expires_at=now + timedelta(seconds=ctx.settings.auth.refresh_token_ttl_seconds),
            created_at=now,
        )
    )
    return await _issue(ctx, uow, session, user, organization, role)


async def _rotate(
    ctx: IdentityContext,
    uow: UnitOfWork,
    session: AuthSessionRow,
    user: UserRow,
    org: OrganizationRow,
    role: Role,
) -> AuthResult:
    session.expires_at = ctx.clock() + timedelta(
        seconds=ctx.settings.auth.refresh_token_ttl_seconds
    )
    return await _issue(ctx, uow, session, user, org.to_domain(), role)


async def _issue(
    ctx: IdentityContext,
    uow: UnitOfWork,
    session: AuthSessionRow,
    user: UserRow,
    org: Organization,
    role: Role,
) -> AuthResult:
    now = ctx.clock()
    refresh_token, digest = new_secret_token("rt_")
    refresh_expires = now + timedelta(seconds=ctx.settings.auth.refresh_token_ttl_seconds)
    await uow.sessions.add_refresh_token(
        RefreshTokenRow(
            token_hash=digest, session_id=session.id, expires_at=refresh_expires, created_at=now
        )
    )
    access = ctx.tokens.issue(
        user_id=user.id, org_id=org.id, role=role, session_id=session.id, now=now
    )
    return AuthResult(
        user=user.to_domain(),
        organization=org,
        role=role,
        access_token=access.token,
        access_token_expires_at=access.expires_at,
        refresh_token=refresh_token,
        refresh_token_expires_at=refresh_expires,
    )
