"""The Uncategorized account an imported line falls back to: one per currency in the
chart (code ``UNCAT-<CUR>``, tagged ``role: uncategorized``), created on first need."""

from __future__ import annotations

import uuid
from uuid import UUID

from fiscus.services.categorization.context import Acting
from fiscus.services.context import ServiceContext
from fiscus.services.identity import audit

UNCATEGORIZED_ROLE = "uncategorized"


def uncategorized_code(currency: str) -> str:
    return f"UNCAT-{currency}"


async def ensure_uncategorized(ctx: ServiceContext, acting: Acting, currency: str) -> UUID:
    now = ctx.clock()
    async with ctx.unit(org_id=acting.org_id, user_id=acting.user_id) as uow:
        account_id, created = await uow.imports.ensure_account(
            new_id=uuid.uuid4(),
            code=uncategorized_code(currency),
            name=f"Uncategorized ({currency})",
            type="expense",
            currency=currency,
            tags={"role": UNCATEGORIZED_ROLE},
            at=now,
        )
        if created:
            await audit.record(
                uow,
                org_id=acting.org_id,
                actor_user_id=acting.user_id,
                action="ledger.account_created",
                subject_type="ledger_account",
                subject_id=account_id,
                at=now,
                details={
                    "code": uncategorized_code(currency),
                    "type": "expense",
                    "currency": currency,
                },
            )
        await uow.commit()
    return account_id
