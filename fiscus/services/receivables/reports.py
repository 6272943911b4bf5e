"""Aging (per counterparty, building, unit or in total, per currency) and statements of
account, each with its CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.receivables import (
    AgingFigures,
    AgingRow,
    Counterparty,
    StatementOfAccount,
    build_statement,
    statement_rows,
)
from fiscus.persistence.reads.receivables import AgingGroup
from fiscus.services.receivables.context import ReceivablesContext

__all__ = ["AgingGroup"]

MAX_STATEMENT_DAYS = 366 * 20


@dataclass(frozen=True, slots=True)
class AgingReport:
    as_of: date
    group: str
    rows: list[tuple[str, AgingRow]]
    """(currency, row), by label."""
    totals: dict[str, AgingFigures]
    """Per currency."""

    def csv(self) -> str:
        table: list[Sequence[object]] = [
            ["group", "key", "currency", "current", "1-30", "31-60", "61-90", "over 90", "total"]
        ]
        for currency, row in self.rows:
            table.append([row.label, row.key or "", currency, *_amounts(row.figures)])
        for currency, figures in sorted(self.totals.items()):
            table.append(["Total", "", currency, *_amounts(figures)])
        return csv_text(table)


@dataclass(frozen=True, slots=True)
class AccountStatement:
    counterparty: Counterparty
    statement: StatementOfAccount

    def csv(self) -> str:
        return csv_text(statement_rows(self.statement))


def _amounts(f: AgingFigures) -> list[object]:
    return [f.current, f.days_1_30, f.days_31_60, f.days_61_90, f.over_90, f.total]


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


async def aging(
    ctx: ReceivablesContext, principal: Principal, as_of: date, group: str
) -> AgingReport:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        rows, totals = await reads.receivables.aging(as_of, group)
    return AgingReport(as_of, group, rows, totals)


async def statement_of_account(
    ctx: ReceivablesContext,
    principal: Principal,
    counterparty_id: UUID,
    from_day: date,
    to_day: date,
) -> AccountStatement:
    if to_day < from_day:
        raise ValidationFailed([FieldIssue("to", "INVALID", "`to` must not be before `from`.")])
    if (to_day - from_day).days > MAX_STATEMENT_DAYS:
        raise ValidationFailed([FieldIssue("to", "INVALID", "At most twenty years at once.")])
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        found = (await reads.receivables.counterparties_by_ids([counterparty_id])).get(
            counterparty_id
        )
        if found is None:
            raise NotFound("No such counterparty.", field="counterpartyId")
        opening = await reads.receivables.opening(counterparty_id, from_day)
        movements = await reads.receivables.movements(counterparty_id, from_day, to_day)
    statement = build_statement(from_day, to_day, found.currency, opening, movements)
    return AccountStatement(found, statement)
