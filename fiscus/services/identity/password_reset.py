"""Password reset: asking for a token (throttled, the same work for any email), the job
that mails it, and resetting with it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.identity import check_password
from fiscus.persistence.models.identity import PasswordResetRow
from fiscus.services import throttling
from fiscus.services.credentials import new_secret_token, token_digest
from fiscus.services.identity import audit
from fiscus.services.identity.context import IdentityContext

SEND_PASSWORD_RESET_JOB = "send_password_reset"


async def request_password_reset(
    ctx: IdentityContext, *, email: str, client_address: str | None
) -> None:
    """Always succeeds from the caller's view unless throttled, and looks nobody up: it
    enqueues one job whatever the email, so neither the answer nor its timing tells
    whether the address has an account. The job does the rest."""
    key = email.strip().lower()
    # The address first: a caller over their own limit does not use up the account's.
    await ctx.throttle.take((throttling.PASSWORD_RESETS_PER_ADDRESS, client_address))
    await ctx.throttle.take((throttling.PASSWORD_RESETS_PER_ACCOUNT, key))
    request_id = uuid.uuid4().hex
    async with ctx.unit() as uow:
        uow.enqueue(
            SEND_PASSWORD_RESET_JOB,
            job_id=f"password-reset:{request_id}",
            email=key,
            request_id=request_id,
        )
        await uow.commit()


async def send_password_reset(ctx: IdentityContext, *, email: str, request_id: str) -> bool:
    """The job: if ``email`` has an account, stores a reset token's hash and mails the
    token. False (and nothing written or sent) for an unknown email."""
    now = ctx.clock()
    async with ctx.unit() as uow:
        user = await uow.users.by_email(email) if email else None
        if user is None:
            return False
        token, digest = new_secret_token("pwr_")
        ttl_minutes = ctx.settings.auth.password_reset_ttl_minutes
        await uow.password_resets.add(
            PasswordResetRow(
                token_hash=digest,
                user_id=user.id,
                expires_at=now + timedelta(minutes=ttl_minutes),
                created_at=now,
            )
        )
        uow.enqueue(
            "send_email",
            job_id=f"email:password-reset:{request_id}",
            to=user.email,
            subject="Reset your fiscus password",
            body=(
                f"Hello {user.display_name},\n\nSomeone asked to reset the password of your "
                f"fiscus account. If it was you, use this token with the resetPassword mutation "
                f"within {ttl_minutes} minutes:\n\n{token}\n\n"
                f"{ctx.settings.base_url}/graphql\n\nIf it was not you, ignore this email."
            ),
        )
        await uow.commit()
    return True


async def reset_password(ctx: IdentityContext, *, token: str, new_password: str) -> None:
    check_password(
        new_password, min_length=ctx.settings.auth.password_min_length, field_name="newPassword"
    )
    now = ctx.clock()
    password_hash = await ctx.hasher.hash(new_password)
    async with ctx.unit() as uow:
        reset = await uow.password_resets.by_token_hash(token_digest(token))
        if reset is None or reset.used_at is not None or reset.expires_at <= now:
            raise ValidationFailed(
                [FieldIssue("token", "TOKEN_INVALID", "This reset link is invalid or has expired.")]
            )
        user = await uow.users.get(reset.user_id)
        assert user is not None
        reset.used_at = now
        user.password_hash = password_hash
        user.password_changed_at = now
        await uow.sessions.revoke_all_of_user(user.id, at=now, reason="password-reset")
        audit.access_changed(uow, user.id, "password-reset")
        await uow.commit()
