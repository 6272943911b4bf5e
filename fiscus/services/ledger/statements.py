"""Financial statements for the caller's organization: a few set-based reads in one read
transaction (the chart, the sums per account and column, and for a comparison the same
sums for the compared columns), then the pure builders of ``domain.ledger.statements``."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from fiscus.domain.identity import Principal
from fiscus.domain.ledger import Account, AccountType, normalize_tags
from fiscus.domain.ledger.statements import (
    Comparison,
    CurrencySum,
    Figures,
    Interval,
    Period,
    Statement,
    StatementKind,
    balance_sheet,
    cash_account_ids,
    compare,
    direct_cash_flow,
    figures_from_sums,
    income_statement,
    indirect_cash_flow,
    reporting_currency,
    shifted,
    split_periods,
    trial_balance,
)
from fiscus.domain.ledger.statements.figures import ZERO
from fiscus.persistence.reads.ledger import StatementReads, SumsRequest
from fiscus.persistence.reads.repositories import Reads

# Lines outside a dimension filter balance against this account (see LEDGER_STATEMENTS.md).
OUTSIDE_DIMENSION = UUID(int=0)


class ReadingContext(Protocol):
    def reading(
        self, org_id: UUID | None = None, user_id: UUID | None = None
    ) -> AbstractAsyncContextManager[Reads]: ...


@dataclass(frozen=True, slots=True)
class StatementRequest:
    kind: StatementKind
    from_day: date
    to_day: date
    interval: Interval = Interval.MONTH
    compare_with: Comparison | None = None
    dimension: tuple[str, str] | None = None
    currency: str | None = None


def checked_dimension(key: str, value: str) -> tuple[str, str]:
    clean = normalize_tags({key: value}, field_name="dimension")
    ((k, v),) = clean.items()
    return k, v


async def build_statement(
    ctx: ReadingContext, principal: Principal, request: StatementRequest
) -> Statement:
    columns = split_periods(request.from_day, request.to_day, request.interval)
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        accounts = await reads.ledger.accounts()
        statements = StatementReads.of(reads.ledger)
        currency = reporting_currency(accounts, request.currency)
        current = await _statement(statements, accounts, columns, currency, request)
        if request.compare_with is None:
            return current
        before = shifted(columns, request.compare_with, request.interval)
        previous = await _statement(statements, accounts, before, currency, request)
    return compare(current, previous)


async def _statement(
    reads: StatementReads,
    accounts: list[Account],
    columns: tuple[Period, ...],
    currency: str,
    request: StatementRequest,
) -> Statement:
    kind = request.kind
    needs_opening = kind is not StatementKind.INCOME_STATEMENT
    only = (
        [a.id for a in accounts if a.type in (AccountType.INCOME, AccountType.EXPENSE)]
        if kind is StatementKind.INCOME_STATEMENT
        else []
    )
    sums_request = SumsRequest(
        bounds=[p.start for p in columns] + [columns[-1].end + timedelta(days=1)],
        since=date.min if needs_opening else columns[0].start,
        to_day=columns[-1].end,
        currency=currency,
        accounts=only,
        dimension=request.dimension,
    )
    if kind is StatementKind.INCOME_STATEMENT and not only:
        sums: list[CurrencySum] = []
    else:
        sums = await reads.statement_sums(sums_request)
    chart = list(accounts)
    if request.dimension is not None:
        chart.append(_outside_dimension(currency))
        sums = _with_outside_plug(sums, currency)
    figures = figures_from_sums(chart, columns, sums, currency)
    if kind is StatementKind.TRIAL_BALANCE:
        return trial_balance(figures)
    if kind is StatementKind.INCOME_STATEMENT:
        return income_statement(figures)
    if kind is StatementKind.BALANCE_SHEET:
        return balance_sheet(figures)
    if kind is StatementKind.CASH_FLOW_INDIRECT:
        return indirect_cash_flow(figures)
    cash = sorted(cash_account_ids(chart))
    counterpart_request = SumsRequest(
        bounds=sums_request.bounds,
        since=columns[0].start,
        to_day=sums_request.to_day,
        currency=currency,
        dimension=request.dimension,
    )
    counterparts = await reads.counterpart_sums(counterpart_request, cash)
    flows = _flows(figures, counterparts, currency, frozenset(cash), request.dimension is not None)
    return direct_cash_flow(figures, flows)


def _outside_dimension(currency: str) -> Account:
    return Account(
        id=OUTSIDE_DIMENSION,
        org_id=OUTSIDE_DIMENSION,
        code="~",
        name="Outside the dimension",
        type=AccountType.EQUITY,
        currency=currency,
        parent_id=None,
        archived=False,
        tags={"cashflow": "financing"},
    )


def _with_outside_plug(sums: list[CurrencySum], currency: str) -> list[CurrencySum]:
    """Lines of one dimension need not balance: the rest of their entries is one line."""
    plug: dict[int, Decimal] = {}
    converted: list[CurrencySum] = []
    for item in sums:
        value = item.amount if item.currency == currency else item.converted
        if value is not None:
            plug[item.column] = plug.get(item.column, ZERO) - value
        converted.append(item)
    converted.extend(
        CurrencySum(OUTSIDE_DIMENSION, currency, column, amount)
        for column, amount in plug.items()
        if amount
    )
    return converted


def _flows(
    figures: Figures,
    counterparts: Sequence[CurrencySum],
    currency: str,
    cash: frozenset[UUID],
    plug: bool,
) -> dict[UUID, tuple[Decimal, ...]]:
    width = len(figures.columns)
    per_account = figures_from_sums(figures.accounts, figures.columns, counterparts, currency)
    flows = dict(per_account.movements)
    if plug:
        residual = []
        for column in range(width):
            moved = sum((figures.movement(a, column) for a in cash), ZERO)
            explained = sum((f[column] for f in flows.values()), ZERO)
            residual.append(moved - explained)
        if any(residual):
            prior = flows.get(OUTSIDE_DIMENSION, (ZERO,) * width)
            flows[OUTSIDE_DIMENSION] = tuple(p + r for p, r in zip(prior, residual, strict=True))
    return flows


async def account_balance(
    ctx: ReadingContext, principal: Principal, account_id: UUID, day: date
) -> dict[str, Decimal]:
    """One account's signed balance per currency at the end of ``day`` (summary rows only)."""
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await StatementReads.of(reads.ledger).balance_as_of(account_id, day)
