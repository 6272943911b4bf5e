"""Running an import: the job's work. Parse off the event loop, categorize (rules, then
learned suggestions), then write in **one transaction** under the account's import lock:
new lines and their draft entries (``ON CONFLICT DO NOTHING`` on the account's dedupe keys,
so overlapping files and concurrent imports never duplicate), the outcome of every row, the
counts and the audit event. A bad row is a failed row, never a failed import; a file that
cannot be read at all fails the import with its reason. Progress is published on
``org:{id}:import:{import id}`` while it runs; the completion (and the activity event)
after the commit. Idempotent: a finished import is answered as it is, an interrupted one is
done again from the start (its transaction rolled back)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fiscus.domain.categorization import RuleBook
from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.imports import CsvMapping, ParsedStatement, StatementFormat, parse_statement
from fiscus.domain.imports.records import BankImport, ImportStatus, RowOutcome
from fiscus.domain.ledger import Account
from fiscus.persistence.repositories.imports_writes import ImportTotals
from fiscus.realtime import channels
from fiscus.services.categorization.accounts import ensure_uncategorized
from fiscus.services.categorization.suggestions import maybe_retrain, model_for
from fiscus.services.identity import audit
from fiscus.services.imports.context import Actor, ImportsContext
from fiscus.services.imports.lines import PreparedLines, prepare_lines
from fiscus.services.imports.statements import check_import_account, imported

Progress = Callable[[dict[str, Any]], Awaitable[None]]


def progress_payload(
    import_id: UUID,
    status: ImportStatus,
    *,
    rows: int = 0,
    processed: int = 0,
    created: int = 0,
    duplicates: int = 0,
    skipped: int = 0,
    failed: int = 0,
) -> dict[str, Any]:
    return {
        "import_id": str(import_id),
        "status": status.value,
        "rows": rows,
        "processed": processed,
        "created": created,
        "duplicates": duplicates,
        "skipped": skipped,
        "failed": failed,
    }


async def _publish(ctx: ImportsContext, org_id: UUID, payload: dict[str, Any]) -> None:
    if ctx.broker is not None:
        channel = channels.import_progress(org_id, UUID(payload["import_id"]))
        try:
            await ctx.broker.publish(channel, payload)
        except Exception:  # progress is a courtesy; the import goes on
            return


@dataclass(frozen=True, slots=True)
class _Claimed:
    actor: Actor
    account_id: UUID
    content: bytes
    format: StatementFormat | None
    mapping: CsvMapping | None
    account_number: str | None


async def _claim(ctx: ImportsContext, org_id: UUID, import_id: UUID) -> _Claimed | BankImport:
    now = ctx.clock()
    async with ctx.unit(org_id=org_id) as uow:
        row = await uow.imports.import_row(import_id, for_update=True)
        if row is None:
            raise NotFound("No such import.", field="importId")
        if ImportStatus(row.status).finished or row.content is None:
            finished = True
        else:
            finished = False
            await uow.imports.mark_running(import_id, now)
            claimed = _Claimed(
                Actor(org_id, row.created_by),
                row.account_id,
                row.content,
                StatementFormat(row.format) if row.format else None,
                CsvMapping.from_json(row.mapping) if row.mapping else None,
                row.account_number,
            )
        await uow.commit()
    if finished:
        return await imported(ctx, Actor(org_id, None), import_id)
    return claimed


async def run_import(
    ctx: ImportsContext, org_id: UUID, import_id: UUID, *, progress: Progress | None = None
) -> BankImport:
    """The import job's work (``fiscus import`` runs it in-process with a progress bar)."""
    claimed = await _claim(ctx, org_id, import_id)
    if isinstance(claimed, BankImport):
        return claimed
    actor = claimed.actor

    async def report(payload: dict[str, Any]) -> None:
        await _publish(ctx, org_id, payload)
        if progress is not None:
            await progress(payload)

    await report(progress_payload(import_id, ImportStatus.RUNNING))
    try:
        parsed = await asyncio.to_thread(
            parse_statement,
            claimed.content,
            format=claimed.format,
            mapping=claimed.mapping,
            account_number=claimed.account_number,
        )
    except ValidationFailed as failure:
        return await _fail(ctx, actor, import_id, failure.issues[0], report)
    done = await import_parsed(ctx, actor, import_id, claimed.account_id, parsed, report)
    if progress is not None:  # the final state went out with the commit; tell the caller
        await progress(
            progress_payload(
                import_id,
                done.status,
                rows=done.rows,
                processed=done.created + done.duplicates,
                created=done.created,
                duplicates=done.duplicates,
                skipped=done.skipped,
                failed=done.failed,
            )
        )
    return done


async def import_parsed(
    ctx: ImportsContext,
    actor: Actor,
    import_id: UUID,
    account_id: UUID,
    parsed: ParsedStatement,
    report: Progress,
) -> BankImport:
    """Categorizes parsed lines and writes them as the import ``import_id`` (a statement
    file's, or a Plaid sync's)."""
    org_id = actor.org_id
    async with ctx.reading(org_id, actor.user_id) as reads:
        chart = {a.id: a for a in await reads.ledger.accounts()}
        rules = await reads.imports.rules()
    try:
        account = check_import_account(chart.get(account_id))
    except (NotFound, RuleViolation) as problem:
        return await _fail(
            ctx, actor, import_id, FieldIssue("accountId", problem.code, problem.message), report
        )
    if parsed.currency and parsed.currency != account.currency:
        issue = FieldIssue(
            "accountId",
            "CURRENCY_MISMATCH",
            f"The statement is in {parsed.currency}; account {account.code} is kept in "
            f"{account.currency}.",
        )
        return await _fail(ctx, actor, import_id, issue, report)
    uncategorized = await ensure_uncategorized(ctx, actor, account.currency)
    model = await model_for(ctx.categorization, org_id, actor.user_id)

    def usable(category: UUID) -> bool:
        found = chart.get(category)
        return (
            found is not None
            and not found.archived
            and found.currency == account.currency
            and found.id != account.id
        )

    prepared = await asyncio.to_thread(
        prepare_lines,
        parsed,
        account_id=account.id,
        currency=account.currency,
        rules=RuleBook(rules),
        suggester=model,
        usable=usable,
        uncategorized_id=uncategorized,
        threshold=ctx.settings.imports.suggestion_threshold,
    )
    return await _write(ctx, actor, import_id, account, parsed, prepared, report)


async def _write(
    ctx: ImportsContext,
    actor: Actor,
    import_id: UUID,
    account: Account,
    parsed: ParsedStatement,
    prepared: PreparedLines,
    report: Progress,
) -> BankImport:
    now = ctx.clock()
    chunk = max(1, ctx.settings.imports.write_chunk_lines)
    skipped = sum(1 for r in prepared.problem_rows if r[1] == RowOutcome.SKIPPED.value)
    failed = len(prepared.problem_rows) - skipped
    created = processed = 0
    async with ctx.uow.statements(
        org_id=actor.org_id, user_id=actor.user_id, transaction=True
    ) as unit:
        writer = unit.bank_imports
        await writer.lock_account(account.id)
        status = await writer.claim(import_id)
        if status is None or ImportStatus(status).finished:
            return await imported(ctx, actor, import_id)  # another run finished it
        warnings = {line: (w.code, w.field, w.message) for line, w in prepared.warnings.items()}
        await writer.stage(prepared.lines, warnings)
        for start in range(0, len(prepared.lines), chunk):
            part = prepared.lines[start : start + chunk]
            new, rows = await writer.insert_staged(
                account_id=account.id,
                import_id=import_id,
                currency=account.currency,
                first_row=part[0].row_no,
                last_row=part[-1].row_no,
                at=now,
            )
            created, processed = created + new, processed + rows
            await report(
                progress_payload(
                    import_id,
                    ImportStatus.RUNNING,
                    rows=parsed.rows,
                    processed=processed,
                    created=created,
                    duplicates=processed - created,
                    skipped=skipped,
                    failed=failed,
                )
            )
        await writer.insert_rows(import_id, prepared.problem_rows)
        totals = ImportTotals(
            status=ImportStatus.DONE.value,
            format=parsed.format.value,
            rows=parsed.rows,
            created=created,
            duplicates=processed - created,
            skipped=skipped,
            failed=failed,
            warnings=len(prepared.warnings) + len(prepared.notes),
            ending_balance=parsed.ending_balance.amount if parsed.ending_balance else None,
            ending_balance_date=parsed.ending_balance.as_of if parsed.ending_balance else None,
            failure=None,
            notes=prepared.notes,
        )
        details = {
            "account_id": str(account.id),
            "format": parsed.format.value,
            "rows": totals.rows,
            "created": totals.created,
            "duplicates": totals.duplicates,
            "skipped": totals.skipped,
            "failed": totals.failed,
        }
        event_id = uuid.uuid4()
        await writer.finish(
            import_id,
            totals,
            at=now,
            event_id=event_id,
            action="imports.statement_imported",
            details=details,
        )
        unit.publish(
            channels.org_activity(actor.org_id),
            _activity(event_id, actor, now, import_id, "imports.statement_imported", details),
        )
        final = progress_payload(
            import_id,
            ImportStatus.DONE,
            rows=totals.rows,
            processed=processed,
            created=totals.created,
            duplicates=totals.duplicates,
            skipped=totals.skipped,
            failed=totals.failed,
        )
        unit.publish(channels.import_progress(actor.org_id, import_id), final)
        await unit.commit()
    await _after_import(ctx, actor)
    return await imported(ctx, actor, import_id)


async def _after_import(ctx: ImportsContext, actor: Actor) -> None:
    """Lines categorized by rules are labels: enough new ones ask for a retraining."""
    async with ctx.unit(org_id=actor.org_id, user_id=actor.user_id) as uow:
        await maybe_retrain(ctx.categorization, uow, actor.org_id)
        await uow.commit()


def _activity(
    event_id: UUID, actor: Actor, at: Any, import_id: UUID, action: str, details: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": str(event_id),
        "org_id": str(actor.org_id),
        "occurred_at": at.isoformat(),
        "actor_user_id": str(actor.user_id) if actor.user_id else None,
        "action": action,
        "subject_type": "bank_import",
        "subject_id": str(import_id),
        "details": details,
    }


async def _fail(
    ctx: ImportsContext, actor: Actor, import_id: UUID, issue: FieldIssue, report: Progress
) -> BankImport:
    now = ctx.clock()
    failure = {"field": issue.field, "code": issue.code, "message": issue.message}
    async with ctx.unit(org_id=actor.org_id, user_id=actor.user_id) as uow:
        row = await uow.imports.import_row(import_id, for_update=True)
        if row is not None and not ImportStatus(row.status).finished:
            row.status = ImportStatus.FAILED.value
            row.failure = failure
            row.finished_at = now
            await uow.flush()
            await audit.record(
                uow,
                org_id=actor.org_id,
                actor_user_id=actor.user_id,
                action="imports.statement_failed",
                subject_type="bank_import",
                subject_id=import_id,
                at=now,
                details=failure,
            )
            uow.publish(
                channels.import_progress(actor.org_id, import_id),
                progress_payload(import_id, ImportStatus.FAILED),
            )
        await uow.commit()
    return await imported(ctx, actor, import_id)
