"""Signing up through the API: throttled per client address and, in email-verification
mode, answering alike for new and taken emails.

In that mode ``sign_up`` stores a pending sign-up (the token's hash, the password's hash)
and enqueues one job whatever the email; the job mails the token to a new address, or
tells the owner of a taken one that someone tried to sign up with it. ``verify_email``
turns a token into the account, exactly as a direct sign-up would.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from fiscus.config import Settings
from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.persistence.models.identity import PendingSignUpRow
from fiscus.services import throttling
from fiscus.services.credentials import new_secret_token, token_digest
from fiscus.services.identity import auth
from fiscus.services.identity.auth import AuthResult, SignUpForm
from fiscus.services.identity.context import IdentityContext

SEND_SIGN_UP_EMAIL_JOB = "send_sign_up_email"
PENDING_MESSAGE = (
    "We sent an email to this address. Follow it to finish signing up "
    "(verifyEmail with the token it carries)."
)


@dataclass(frozen=True)
class SignUpPending:
    email: str
    message: str = PENDING_MESSAGE


def email_verification_required(settings: Settings) -> bool:
    configured = settings.auth.require_email_verification
    return settings.is_production if configured is None else configured


async def sign_up(
    ctx: IdentityContext,
    *,
    email: str,
    password: str,
    display_name: str,
    organization_name: str,
    client_address: str | None,
) -> AuthResult | SignUpPending:
    await ctx.throttle.take((throttling.SIGN_UPS_PER_ADDRESS, client_address))
    if not email_verification_required(ctx.settings):
        return await auth.sign_up(
            ctx,
            email=email,
            password=password,
            display_name=display_name,
            organization_name=organization_name,
        )
    form = auth.check_sign_up(
        ctx,
        email=email,
        password=password,
        display_name=display_name,
        organization_name=organization_name,
    )
    password_hash = await ctx.hasher.hash(password)
    token, digest = new_secret_token("vfy_")
    now = ctx.clock()
    ttl = timedelta(minutes=ctx.settings.auth.email_verification_ttl_minutes)
    async with ctx.unit() as uow:
        await uow.pending_sign_ups.add(
            PendingSignUpRow(
                token_hash=digest,
                email=form.email,
                display_name=form.display_name,
                organization_name=form.organization_name,
                password_hash=password_hash,
                expires_at=now + ttl,
                created_at=now,
            )
        )
        uow.enqueue(SEND_SIGN_UP_EMAIL_JOB, job_id=f"sign-up:{digest.hex()}", token=token)
        await uow.commit()
    return SignUpPending(form.email)


async def send_sign_up_email(ctx: IdentityContext, *, token: str) -> str:
    """The job: mails the verification token to a new address, or, when the address has
    an account, tells its owner (and drops the pending sign-up). Returns which."""
    digest = token_digest(token)
    base_url = ctx.settings.base_url
    async with ctx.unit() as uow:
        pending = await uow.pending_sign_ups.by_token_hash(digest)
        if pending is None:
            return "gone"
        user = await uow.users.by_email(pending.email)
        if user is None:
            hours = ctx.settings.auth.email_verification_ttl_minutes // 60
            uow.enqueue(
                "send_email",
                job_id=f"email:sign-up:{digest.hex()}",
                to=pending.email,
                subject="Finish signing up to fiscus",
                body=(
                    f"Hello {pending.display_name},\n\nTo create your fiscus account and the "
                    f'organization "{pending.organization_name}", use this token with the '
                    f"verifyEmail mutation within {hours} hours:\n\n{token}\n\n"
                    f"{base_url}/graphql\n\nIf you did not sign up, ignore this email: "
                    "no account is created without it."
                ),
            )
            outcome = "verification"
        else:
            await uow.pending_sign_ups.delete(digest)
            uow.enqueue(
                "send_email",
                job_id=f"email:sign-up:{digest.hex()}",
                to=user.email,
                subject="Someone tried to sign up with your email",
                body=(
                    f"Hello {user.display_name},\n\nSomeone tried to sign up to fiscus with "
                    "this email address, which already has an account. If it was you, log "
                    "in, or reset your password with the requestPasswordReset mutation:\n\n"
                    f"{base_url}/graphql\n\nIf it was not you, ignore this email: nothing "
                    "was changed."
                ),
            )
            outcome = "account-exists"
        await uow.commit()
    return outcome


async def verify_email(ctx: IdentityContext, *, token: str) -> AuthResult:
    now = ctx.clock()
    digest = token_digest(token)
    user_id, org_id = uuid.uuid4(), uuid.uuid4()
    async with ctx.unit(org_id=org_id, user_id=user_id) as uow:
        pending = await uow.pending_sign_ups.by_token_hash(digest)
        if pending is not None:
            # Read again under the email's lock: a concurrent verification of the same
            # address may have used it (and every other pending sign-up of the address).
            await uow.pending_sign_ups.serialize_email(pending.email)
            pending = await uow.pending_sign_ups.by_token_hash(digest)
        if pending is None or pending.expires_at <= now:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "token",
                        "TOKEN_INVALID",
                        "This verification token is invalid, used or expired: sign up again.",
                    )
                ]
            )
        form = SignUpForm(pending.email, pending.display_name, pending.organization_name)
        result = await auth.open_account(
            ctx, uow, form, pending.password_hash, user_id=user_id, org_id=org_id
        )
        if result is None:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "token",
                        "ALREADY_USED",
                        "This email address has an account: log in, or reset its password.",
                    )
                ]
            )
        await uow.pending_sign_ups.delete_for_email(form.email)
        await uow.commit()
    return result
