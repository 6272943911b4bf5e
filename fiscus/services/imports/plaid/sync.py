"""A bank connection's sync: Plaid's /transactions/sync from the stored cursor, every page
(restarting from the stored cursor if Plaid reports a mutation during pagination), then:

- ``added`` become bank lines through the import pipeline (one import per mapped account,
  deduplicated by Plaid's ``transaction_id``, categorized like any statement). A posted
  transaction that replaces a pending one (``pending_transaction_id``) updates that line in
  place and takes over its id, instead of adding a second line.
- ``modified`` update their lines while the entries are drafts (posted entries never change).
- ``removed`` flag their lines and delete their draft entries.

The cursor is stored only after all of it is written: a sync interrupted half-way fetches
the same updates again, and dedupe makes that harmless. Plaid's amounts are positive for
money out; the import's convention is the opposite.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from fiscus.domain.errors import NotFound, RuleViolation
from fiscus.domain.imports import (
    LineProblem,
    ParsedStatement,
    ProblemKind,
    StatementFormat,
    StatementLine,
)
from fiscus.domain.imports.records import BankImport, ImportStatus
from fiscus.persistence.models.imports import BankImportRow
from fiscus.persistence.repositories.imports import LineEdit
from fiscus.services.identity import audit
from fiscus.services.imports import running
from fiscus.services.imports.context import Acting, Actor, ImportsContext
from fiscus.services.imports.plaid.client import PlaidError, SyncPage

MAX_PAGES = 200
RESTARTS = 3
MUTATED = "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"


@dataclass
class SyncResult:
    added: int = 0
    modified: int = 0
    removed: int = 0
    imports: list[BankImport] = field(default_factory=list)


def _money(raw: Any) -> Decimal:
    return raw if isinstance(raw, Decimal) else Decimal(str(raw))


def statement_line(transaction: dict[str, Any], line: int) -> StatementLine:
    posted = date.fromisoformat(str(transaction["date"]))
    authorized = transaction.get("authorized_date")
    pending = bool(transaction.get("pending"))
    name = str(transaction.get("name") or transaction.get("merchant_name") or "")
    category = transaction.get("personal_finance_category") or {}
    return StatementLine(
        line=line,
        date=date.fromisoformat(str(authorized)) if authorized else posted,
        posted_date=None if pending else posted,
        amount=-_money(transaction["amount"]),
        description=str(transaction.get("original_description") or name),
        payee=transaction.get("merchant_name") or name or None,
        external_id=str(transaction["transaction_id"]),
        kind=transaction.get("payment_channel"),
        bank_category=category.get("primary") if isinstance(category, dict) else None,
        check_number=transaction.get("check_number"),
        pending=pending,
        currency=transaction.get("iso_currency_code"),
    )


async def _pull(ctx: ImportsContext, token: str, cursor: str | None) -> tuple[SyncPage, str]:
    """Every page since ``cursor``, merged; and the cursor to store after."""
    client = ctx.plaid_client()
    for _ in range(RESTARTS):
        merged = SyncPage()
        current = cursor
        try:
            for _ in range(MAX_PAGES):
                page = await client.transactions_sync(token, current)
                merged.added.extend(page.added)
                merged.modified.extend(page.modified)
                merged.removed.extend(page.removed)
                current = page.next_cursor
                if not page.has_more:
                    return merged, current
        except PlaidError as error:
            if error.code == MUTATED:
                continue
            raise
    raise PlaidError(MUTATED, "Plaid kept changing the data during pagination; try again.")


async def sync_connection(ctx: ImportsContext, acting: Acting, connection_id: UUID) -> SyncResult:
    org_id = acting.org_id
    async with ctx.unit(org_id=org_id, user_id=acting.user_id) as uow:
        row = await uow.imports.connection(connection_id)
        if row is None:
            raise NotFound("No such bank connection.", field="connectionId")
        token = ctx.cipher().open(row.access_token, org_id=org_id, connection_id=row.id)
        cursor, mapped = row.cursor, {k: UUID(v) for k, v in (row.accounts or {}).items()}
    try:
        merged, next_cursor = await _pull(ctx, token, cursor)
    except PlaidError as error:
        await _record_error(ctx, acting, connection_id, error)
        raise RuleViolation(
            "PROVIDER_UNAVAILABLE", f"Plaid: {error.message}", "connectionId"
        ) from None
    result = SyncResult()
    wanted = [t for t in merged.added if t.get("account_id") in mapped]
    pending_ids = [
        str(t["pending_transaction_id"]) for t in wanted if t.get("pending_transaction_id")
    ]
    touched = [str(t["transaction_id"]) for t in merged.modified + merged.removed]
    async with ctx.reading(org_id, acting.user_id) as reads:
        existing = await reads.imports.lines_by_external_ids(
            list(mapped.values()), pending_ids + touched
        )
    edits: list[LineEdit] = []
    replaced: set[str] = set()
    by_account: dict[UUID, list[StatementLine]] = defaultdict(list)
    for transaction in wanted:
        account_id = mapped[str(transaction["account_id"])]
        line = statement_line(transaction, len(by_account[account_id]) + 1)
        previous = existing.get(str(transaction.get("pending_transaction_id") or ""))
        if previous is not None and previous[1] == account_id:
            replaced.add(str(transaction["pending_transaction_id"]))
            edits.append(
                LineEdit(
                    previous[0], line.date, line.amount, line.description, False, line.external_id
                )
            )
            continue
        by_account[account_id].append(line)
    for transaction in merged.modified:
        found = existing.get(str(transaction["transaction_id"]))
        if found is not None:
            line = statement_line(transaction, 0)
            edits.append(LineEdit(found[0], line.date, line.amount, line.description, line.pending))
    gone = [
        existing[str(t["transaction_id"])][0]
        for t in merged.removed
        if str(t["transaction_id"]) in existing and str(t["transaction_id"]) not in replaced
    ]
    actor = Actor(org_id, acting.user_id)
    for account_id, lines in by_account.items():
        result.imports.append(await _import(ctx, actor, connection_id, account_id, lines))
    result.added = sum(i.created for i in result.imports)
    result.modified, result.removed = len(edits), len(gone)
    now = ctx.clock()
    async with ctx.unit(org_id=org_id, user_id=acting.user_id) as uow:
        await uow.imports.modify_lines(edits)
        await uow.imports.remove_lines(gone)
        row = await uow.imports.connection(connection_id, for_update=True)
        if row is not None:
            row.cursor = next_cursor
            row.last_synced_at = now
            row.status = "active"
            row.last_error = None
        await audit.record(
            uow,
            org_id=org_id,
            actor_user_id=acting.user_id,
            action="imports.bank_synced",
            subject_type="bank_connection",
            subject_id=connection_id,
            at=now,
            details={"added": result.added, "modified": result.modified, "removed": result.removed},
        )
        await uow.commit()
    return result


async def _import(
    ctx: ImportsContext,
    actor: Actor,
    connection_id: UUID,
    account_id: UUID,
    lines: list[StatementLine],
) -> BankImport:
    """The new lines of one account, as one import of the pipeline."""
    now = ctx.clock()
    import_id = uuid.uuid4()
    async with ctx.unit(org_id=actor.org_id, user_id=actor.user_id) as uow:
        await uow.imports.add_import(
            BankImportRow(
                org_id=actor.org_id,
                id=import_id,
                account_id=account_id,
                source="plaid",
                connection_id=connection_id,
                format=StatementFormat.PLAID.value,
                status=ImportStatus.RUNNING.value,
                created_by=actor.user_id,
                created_at=now,
                started_at=now,
            )
        )
        await uow.commit()
    kept = [line for line in lines if line.amount != 0]
    skipped = [
        LineProblem(line.line, ProblemKind.SKIPPED, "ZERO_AMOUNT", None, "A zero amount.")
        for line in lines
        if line.amount == 0
    ]
    parsed = ParsedStatement(StatementFormat.PLAID, kept, skipped, rows=len(lines), currency=None)

    async def report(payload: dict[str, Any]) -> None:
        return None

    return await running.import_parsed(ctx, actor, import_id, account_id, parsed, report)


async def _record_error(
    ctx: ImportsContext, acting: Acting, connection_id: UUID, error: PlaidError
) -> None:
    async with ctx.unit(org_id=acting.org_id, user_id=acting.user_id) as uow:
        row = await uow.imports.connection(connection_id, for_update=True)
        if row is not None:
            row.status = "error"
            row.last_error = f"{error.code}: {error.message}"[:500]
        await uow.commit()
