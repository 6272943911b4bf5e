"""Statement uploads: validated, stored with the import (QUEUED), a job enqueued after the
commit; the caller gets the import at once. ``running`` is the job's work."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.imports import CsvMapping, StatementFormat
from fiscus.domain.imports.records import BankImport, ImportStatus
from fiscus.domain.ledger import Account, AccountType
from fiscus.persistence.models.imports import BankImportRow
from fiscus.services import idempotency
from fiscus.services.identity import audit
from fiscus.services.imports.context import Acting, ImportsContext

IMPORT_JOB = "import_statement"
SCOPE = "imports.statement"
MAX_FILE_NAME = 255

Progress = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Upload:
    data: bytes
    file_name: str | None = None


def import_job_id(import_id: UUID) -> str:
    return f"import-statement:{import_id}"


def _check_upload(
    ctx: ImportsContext,
    upload: Upload,
    format: StatementFormat | None,
    mapping: CsvMapping | None,
    mapping_id: UUID | None,
    account_number: str | None,
) -> None:
    issues: list[FieldIssue] = []
    limit = ctx.settings.imports.max_upload_bytes
    if not upload.data.strip():
        issues.append(FieldIssue("file", "REQUIRED", "The file is empty."))
    elif len(upload.data) > limit:
        issues.append(FieldIssue("file", "TOO_LONG", f"A statement is at most {limit:,} bytes."))
    if format is StatementFormat.PLAID:
        issues.append(FieldIssue("format", "INVALID", "Plaid lines come from a bank connection."))
    if mapping is not None and mapping_id is not None:
        issues.append(FieldIssue("mapping", "INVALID", "Give a mapping or a mappingId, not both."))
    if mapping is not None:
        try:
            mapping.check()
        except ValidationFailed as failure:
            issues.extend(failure.issues)
    if format not in (None, StatementFormat.GENERIC_CSV) and (mapping or mapping_id):
        issues.append(
            FieldIssue("mapping", "INVALID", "A column mapping is for the GENERIC_CSV format.")
        )
    if account_number is not None and not 1 <= len(account_number.strip()) <= 40:
        issues.append(FieldIssue("accountNumber", "INVALID", "1-40 characters."))
    if issues:
        raise ValidationFailed(issues)


def check_import_account(account: Account | None, field: str = "accountId") -> Account:
    if account is None:
        raise NotFound("No such account.", field=field)
    if account.archived:
        raise RuleViolation(
            "ACCOUNT_ARCHIVED", f"Account {account.code} is archived and takes no postings.", field
        )
    if account.type not in (AccountType.ASSET, AccountType.LIABILITY):
        raise RuleViolation(
            "INVALID",
            "A statement is imported into a bank account (asset) or a card account (liability).",
            field,
        )
    return account


async def start_import(
    ctx: ImportsContext,
    principal: Acting,
    *,
    account_id: UUID,
    upload: Upload,
    format: StatementFormat | None = None,
    mapping: CsvMapping | None = None,
    mapping_id: UUID | None = None,
    account_number: str | None = None,
    idempotency_key: str | None = None,
    enqueue: bool = True,
) -> BankImport:
    """``enqueue=False``: the caller runs the import itself (``fiscus import``)."""
    _check_upload(ctx, upload, format, mapping, mapping_id, account_number)
    key = idempotency.check_key(idempotency_key) if idempotency_key is not None else None
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        found = await reads.ledger.accounts_by_ids([account_id])
        account = check_import_account(found[0] if found else None)
        if mapping_id is not None:
            saved = next((m for m in await reads.imports.mappings() if m.id == mapping_id), None)
            if saved is None:
                raise NotFound("No such saved mapping.", field="mappingId")
            mapping = CsvMapping.from_json(saved.mapping)
    if mapping is not None and format is None:
        format = StatementFormat.GENERIC_CSV
    digest = hashlib.sha256(upload.data).hexdigest()
    file_name = (upload.file_name or "").strip()[:MAX_FILE_NAME] or None
    import_id = uuid.uuid4()
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        if key is not None:
            replay = await idempotency.once(
                uow,
                scope=SCOPE,
                key=key,
                request={
                    "account": str(account.id),
                    "sha256": digest,
                    "format": format.value if format else None,
                    "mapping": mapping.to_json() if mapping else None,
                    "account_number": account_number,
                },
                result={"import_id": str(import_id)},
                at=now,
            )
            if replay is not None:
                await uow.commit()
                return await imported(ctx, principal, UUID(replay["import_id"]))
        row = await uow.imports.add_import(
            BankImportRow(
                org_id=principal.org_id,
                id=import_id,
                account_id=account.id,
                source="file",
                format=format.value if format else None,
                file_name=file_name,
                file_sha256=digest,
                content=upload.data,
                mapping=mapping.to_json() if mapping else None,
                account_number=account_number.strip() if account_number else None,
                status=ImportStatus.QUEUED.value,
                created_by=principal.user_id,
                created_at=now,
            )
        )
        await audit.record(
            uow,
            org_id=principal.org_id,
            actor_user_id=principal.user_id,
            action="imports.statement_uploaded",
            subject_type="bank_import",
            subject_id=import_id,
            at=now,
            details={
                "account_id": str(account.id),
                "file_name": file_name,
                "bytes": len(upload.data),
                "format": row.format,
            },
        )
        if enqueue:
            uow.enqueue(
                IMPORT_JOB,
                job_id=import_job_id(import_id),
                org_id=str(principal.org_id),
                import_id=str(import_id),
            )
        await uow.commit()
    return BankImport(
        id=import_id,
        account_id=account.id,
        source="file",
        status=ImportStatus.QUEUED,
        format=row.format,
        file_name=file_name,
        created_at=now,
        created_by=principal.user_id,
    )


async def imported(ctx: ImportsContext, acting: Acting, import_id: UUID) -> BankImport:
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        found = await reads.imports.imports_by_ids([import_id])
    if not found:
        raise NotFound("No such import.", field="importId")
    return found[0]
