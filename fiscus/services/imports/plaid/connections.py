"""Bank connections (Plaid items): connect one from Plaid Link's public token (exchanged
here; the access token is stored encrypted and never leaves the server), map its accounts to
ledger accounts, delete it, sync it (now, or as a job), and the webhook that asks for a sync.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from uuid import UUID

from fiscus.domain.errors import Conflict, FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.persistence.models.imports import BankConnectionRow
from fiscus.persistence.reads.imports import ConnectionRecord
from fiscus.services.identity import audit
from fiscus.services.imports.context import Acting, ImportsContext
from fiscus.services.imports.plaid.client import PlaidError
from fiscus.services.imports.plaid.webhooks import VerificationKeys, WebhookRefused, verify
from fiscus.services.imports.statements import check_import_account

SYNC_JOB = "sync_bank_connection"
MAX_ACCOUNTS = 20


SYNC_COALESCE_SECONDS = 30


def sync_job_id(connection_id: UUID, now: float) -> str:
    """Webhooks of one connection within ``SYNC_COALESCE_SECONDS`` share one queued sync; a
    later one (even while that sync runs) queues another, which finds what came after."""
    return f"sync-bank-connection:{connection_id}:{int(now // SYNC_COALESCE_SECONDS)}"


async def _check_accounts(
    ctx: ImportsContext, acting: Acting, accounts: Mapping[str, UUID]
) -> dict[str, str]:
    issues: list[FieldIssue] = []
    if not accounts or len(accounts) > MAX_ACCOUNTS:
        issues.append(FieldIssue("accounts", "INVALID", f"Map 1-{MAX_ACCOUNTS} Plaid accounts."))
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        chart = {a.id: a for a in await reads.ledger.accounts_by_ids(list(accounts.values()))}
    for i, (plaid_id, account_id) in enumerate(accounts.items()):
        if not plaid_id.strip() or len(plaid_id) > 100:
            issues.append(
                FieldIssue(f"accounts[{i}].plaidAccountId", "INVALID", "1-100 characters.")
            )
        try:
            check_import_account(chart.get(account_id), f"accounts[{i}].accountId")
        except (NotFound, RuleViolation) as problem:
            issues.append(FieldIssue(problem.field, problem.code, problem.message))
    if issues:
        raise ValidationFailed(issues)
    return {k: str(v) for k, v in accounts.items()}


def _record(row: BankConnectionRow) -> ConnectionRecord:
    return ConnectionRecord(
        row.id,
        row.provider,
        row.item_id,
        row.institution_name,
        dict(row.accounts or {}),
        row.status,
        row.last_synced_at,
        row.last_error,
        row.created_at,
    )


async def connect_plaid_item(
    ctx: ImportsContext,
    acting: Acting,
    *,
    public_token: str,
    institution_name: str | None,
    accounts: Mapping[str, UUID],
) -> ConnectionRecord:
    if not public_token.strip() or len(public_token) > 300:
        raise ValidationFailed([FieldIssue("publicToken", "INVALID", "1-300 characters.")])
    mapped = await _check_accounts(ctx, acting, accounts)
    try:
        access_token, item_id = await ctx.plaid_client().exchange_public_token(public_token)
    except PlaidError as error:
        raise RuleViolation(
            "PROVIDER_UNAVAILABLE", f"Plaid: {error.message}", "publicToken"
        ) from None
    now = ctx.clock()
    connection_id = uuid.uuid4()
    cipher = ctx.cipher()
    async with ctx.unit(org_id=acting.org_id, user_id=acting.user_id) as uow:
        if await uow.imports.connection_for_item(item_id) is not None:
            raise Conflict("INVALID", "This Plaid item is connected already.", "publicToken")
        row = await uow.imports.add_connection(
            BankConnectionRow(
                org_id=acting.org_id,
                id=connection_id,
                provider="plaid",
                item_id=item_id,
                institution_name=(institution_name or "").strip()[:200] or None,
                access_token=cipher.seal(
                    access_token, org_id=acting.org_id, connection_id=connection_id
                ),
                key_id=cipher.key_id,
                cursor=None,
                accounts=mapped,
                status="active",
                created_by=acting.user_id,
                created_at=now,
            )
        )
        await audit.record(
            uow,
            org_id=acting.org_id,
            actor_user_id=acting.user_id,
            action="imports.bank_connected",
            subject_type="bank_connection",
            subject_id=connection_id,
            at=now,
            details={"institution": row.institution_name, "accounts": len(mapped)},
        )
        await uow.commit()
    return _record(row)


async def update_connection(
    ctx: ImportsContext, acting: Acting, connection_id: UUID, accounts: Mapping[str, UUID]
) -> ConnectionRecord:
    mapped = await _check_accounts(ctx, acting, accounts)
    now = ctx.clock()
    async with ctx.unit(org_id=acting.org_id, user_id=acting.user_id) as uow:
        row = await uow.imports.connection(connection_id, for_update=True)
        if row is None:
            raise NotFound("No such bank connection.", field="connectionId")
        row.accounts = mapped
        await uow.flush()
        await audit.record(
            uow,
            org_id=acting.org_id,
            actor_user_id=acting.user_id,
            action="imports.bank_connection_updated",
            subject_type="bank_connection",
            subject_id=connection_id,
            at=now,
            details={"accounts": len(mapped)},
        )
        await uow.commit()
    return _record(row)


async def delete_connection(ctx: ImportsContext, acting: Acting, connection_id: UUID) -> UUID:
    """Forgets the item and its token; its lines and imports stay in the books."""
    now = ctx.clock()
    async with ctx.unit(org_id=acting.org_id, user_id=acting.user_id) as uow:
        row = await uow.imports.connection(connection_id, for_update=True)
        if row is None:
            raise NotFound("No such bank connection.", field="connectionId")
        await uow.imports.delete_connection(connection_id)
        await audit.record(
            uow,
            org_id=acting.org_id,
            actor_user_id=acting.user_id,
            action="imports.bank_disconnected",
            subject_type="bank_connection",
            subject_id=connection_id,
            at=now,
            details={"institution": row.institution_name},
        )
        await uow.commit()
    return connection_id


async def handle_webhook(ctx: ImportsContext, body: bytes, signature: str | None) -> str:
    """Verifies a Plaid webhook and, for new transactions, queues the item's sync. Answers
    what was done (for the log); ``WebhookRefused`` when the signature does not hold."""
    keys = ctx.verification_keys or VerificationKeys(ctx.plaid_client().webhook_verification_key)
    payload = await verify(
        body,
        signature,
        keys,
        max_age=ctx.settings.imports.webhook_max_age_seconds,
        now=time.time(),
    )
    kind, code = payload.get("webhook_type"), payload.get("webhook_code")
    if kind != "TRANSACTIONS" or code not in ("SYNC_UPDATES_AVAILABLE", "DEFAULT_UPDATE"):
        return f"ignored {kind}/{code}"
    async with ctx.reading(None, None) as reads:
        found = await reads.imports.connection_for_item(str(payload.get("item_id") or ""))
    if found is None:
        return "unknown item"
    org_id, connection_id = found
    async with ctx.unit(org_id=org_id) as uow:
        uow.enqueue(
            SYNC_JOB,
            job_id=sync_job_id(connection_id, time.time()),
            org_id=str(org_id),
            connection_id=str(connection_id),
        )
        await uow.commit()
    return "sync queued"


__all__ = ["WebhookRefused"]
