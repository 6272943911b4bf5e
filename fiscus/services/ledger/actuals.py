"""Actuals import: a CSV of period balances or movements per account code becomes one
balanced entry per period against a designated offset (opening/suspense) account, dated at
the period's end, all or nothing, in one transaction.

- MOVEMENTS: each row's amount is posted to its account (signed: debit > 0).
- BALANCES: each row states the account's signed balance at the period's end; the entry
  moves the account from its balance then (the books plus this file's earlier periods) to
  the stated one. Read and posted under the accounts' locks, in one transaction.
- The offset account takes the difference; every account must be kept in its currency.

Idempotency per (file, period): a period's key is derived from ``idempotencyKey`` when
given, else from the file's fingerprint, and its request fingerprint covers the period's
rows, the kind and the offset account. Importing the same file again posts nothing new
(the entries are answered as ``replayed``); with the same ``idempotencyKey``, a period whose
figures changed is refused (``IDEMPOTENCY_KEY_REUSED`` on ``csv[<line>].period``), and new
periods are posted. Without a key a changed file is a new file.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from fiscus.domain.errors import (
    Conflict,
    FieldIssue,
    NotFound,
    RuleViolation,
    ValidationFailed,
)
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import Account
from fiscus.services import idempotency
from fiscus.services.ledger import batch
from fiscus.services.ledger.actuals_csv import ActualsRow, parse_actuals
from fiscus.services.ledger.context import LedgerContext
from fiscus.services.ledger.rules import LineInput, Posted

SCOPE = "ledger.import_actuals"
_LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


class ActualsKind(enum.StrEnum):
    BALANCES = "balances"
    MOVEMENTS = "movements"


@dataclass(frozen=True, slots=True)
class ActualsImported:
    entries: list[Posted]
    periods: list[str]
    """The periods the entries are for, in order (a period with nothing to post has none)."""


@dataclass(frozen=True, slots=True)
class _Period:
    label: str
    rows: list[ActualsRow]


def _check_rows(
    rows: Sequence[ActualsRow], chart: dict[str, Account], offset: Account
) -> dict[str, Account]:
    issues: list[FieldIssue] = []
    found: dict[str, Account] = {}
    for row in rows:
        account = chart.get(row.code)
        at = f"csv[{row.line}]"
        if account is None:
            issues.append(FieldIssue(f"{at}.account", "NOT_FOUND", f"No account {row.code}."))
            continue
        found[row.code] = account
        if account.id == offset.id:
            issues.append(
                FieldIssue(f"{at}.account", "INVALID", "The offset account cannot be imported.")
            )
        elif account.archived:
            issues.append(
                FieldIssue(
                    f"{at}.account",
                    "ACCOUNT_ARCHIVED",
                    f"Account {account.code} is archived and takes no postings.",
                )
            )
        if row.currency is not None and row.currency != account.currency:
            issues.append(
                FieldIssue(
                    f"{at}.currency",
                    "CURRENCY_MISMATCH",
                    f"Account {account.code} is kept in {account.currency}, not {row.currency}.",
                )
            )
        elif account.currency != offset.currency:
            issues.append(
                FieldIssue(
                    f"{at}.account",
                    "CURRENCY_MISMATCH",
                    f"Account {account.code} is kept in {account.currency}; the offset account "
                    f"in {offset.currency}.",
                )
            )
    if issues:
        raise ValidationFailed(issues)
    return found


def _periods(rows: Sequence[ActualsRow]) -> list[_Period]:
    grouped: dict[str, list[ActualsRow]] = defaultdict(list)
    for row in rows:
        grouped[row.period].append(row)
    ordered = sorted(grouped.items(), key=lambda item: (item[1][0].period_end, item[0]))
    return [_Period(label, sorted(group, key=lambda r: r.line)) for label, group in ordered]


def _request(kind: ActualsKind, offset: Account, period: _Period) -> dict[str, Any]:
    return {
        "kind": kind.value,
        "offset": str(offset.id),
        "period": period.label,
        "rows": sorted([r.code, str(r.amount.normalize())] for r in period.rows),
    }


def _entry(
    kind: ActualsKind,
    offset: Account,
    period: _Period,
    deltas: list[tuple[ActualsRow, Account, Decimal]],
    base: str,
) -> tuple[batch.NewEntry, list[ActualsRow]] | None:
    """The period's entry (lines in file order, the offset last), or None: nothing moves."""
    moving = [(row, account, amount) for row, account, amount in deltas if amount != 0]
    if not moving:
        return None
    lines = [LineInput(account.id, amount) for _, account, amount in moving]
    rest = -sum((amount for _, _, amount in moving), Decimal(0))
    if rest != 0:
        lines.append(LineInput(offset.id, rest))
    return (
        batch.NewEntry(
            moving[0][0].period_end,
            f"Actuals {period.label} ({kind.value})",
            lines,
            f"{base}:{period.label}",
            request=_request(kind, offset, period),
            scope=SCOPE,
            action="ledger.actuals_imported",
        ),
        [row for row, _, _ in moving],
    )


def _field_namer(periods: Sequence[tuple[_Period, list[ActualsRow]]]) -> batch.FieldName:
    def name(index: int, field: str) -> str:
        period, rows = periods[index]
        first = period.rows[0].line
        match = _LINE_FIELD.match(field)
        if match:
            line = int(match[1])
            if line >= len(rows):
                return "offsetAccountId"
            column = {"accountId": "account", "amount": "amount", "currency": "currency"}
            return f"csv[{rows[line].line}].{column.get(match[2], match[2])}"
        if field == "lines":
            return f"csv[{first}].amount"
        return f"csv[{first}].period"

    return name


async def import_actuals_csv(
    ctx: LedgerContext,
    principal: Principal,
    *,
    csv_text: str,
    offset_account_id: UUID,
    kind: ActualsKind,
    idempotency_key: str | None = None,
) -> ActualsImported:
    parsed = await asyncio.to_thread(parse_actuals, csv_text)
    key = idempotency.check_key(idempotency_key) if idempotency_key is not None else None
    base = hashlib.sha256((key or f"file:{parsed.fingerprint}").encode()).hexdigest()[:40]
    async with ctx.reading(org_id=principal.org_id, user_id=principal.user_id) as reads:
        chart = {a.code: a for a in await reads.ledger.accounts()}
    offset = next((a for a in chart.values() if a.id == offset_account_id), None)
    if offset is None:
        raise NotFound("No such account.", field="offsetAccountId")
    if offset.archived:
        raise RuleViolation(
            "ACCOUNT_ARCHIVED",
            f"Account {offset.code} is archived and takes no postings.",
            "offsetAccountId",
        )
    accounts = _check_rows(parsed.rows, chart, offset)
    periods = _periods(parsed.rows)
    now = ctx.clock()
    transaction = kind is ActualsKind.BALANCES
    async with ctx.uow.statements(
        org_id=principal.org_id, user_id=principal.user_id, transaction=transaction
    ) as unit:
        current: dict[tuple[UUID, Any], Decimal] = {}
        if transaction:
            ids = [offset.id, *(a.id for a in accounts.values())]
            await unit.ledger_posting.lock(ids)
            current = await unit.ledger_posting.balances(
                ids, [p.rows[0].period_end for p in periods]
            )
        planned: list[tuple[_Period, list[ActualsRow]]] = []
        entries: list[batch.NewEntry] = []
        moved: dict[UUID, Decimal] = defaultdict(Decimal)  # this file's earlier periods
        for period in periods:
            deltas = []
            for row in period.rows:
                account = accounts[row.code]
                amount = row.amount
                if transaction:
                    before = current[(account.id, row.period_end)] + moved[account.id]
                    amount = row.amount - before
                deltas.append((row, account, amount))
            made = _entry(kind, offset, period, deltas, base)
            if made is None:
                continue
            for _, account, amount in deltas:
                moved[account.id] += amount
            entries.append(made[0])
            planned.append((period, made[1]))
        if not entries:
            return ActualsImported([], [])
        names = _field_namer(planned)
        try:
            prepared, outcome = await batch.post_in(unit, principal, entries, now, field_name=names)
        except Conflict as conflict:
            index = next(i for i, (p, _) in enumerate(planned) if conflict.field == names(i, ""))
            raise Conflict(
                conflict.code,
                f"Period {planned[index][0].label} was already imported with other figures.",
                conflict.field,
            ) from None
        await unit.commit()
    posted = await batch.results(ctx, principal, prepared, outcome)
    await ctx.posted(principal, [p.entry for p in posted if not p.replayed])
    return ActualsImported(posted, [p.label for p, _ in planned])
