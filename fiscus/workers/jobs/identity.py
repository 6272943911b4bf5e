"""Identity jobs: the mail behind requestPasswordReset and signUp (verification mode)."""

from __future__ import annotations

from fiscus.services.identity import password_reset, registration
from fiscus.workers.jobs.context import JobContext, runtime_of


async def send_password_reset(ctx: JobContext, *, email: str, request_id: str) -> bool:
    return await password_reset.send_password_reset(
        runtime_of(ctx).identity, email=email, request_id=request_id
    )


async def send_sign_up_email(ctx: JobContext, *, token: str) -> str:
    return await registration.send_sign_up_email(runtime_of(ctx).identity, token=token)
