"""Statement queries (trial balance, income statement, balance sheet, cash flow) and the
export links. Readable with ``reports:read`` (viewers too); the journal export needs
``ledger:read``, since viewers see statements but not entries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, TypeVar, cast

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain.errors import DomainError
from fiscus.domain.identity import Permission
from fiscus.domain.ledger.statements import Comparison, Interval, StatementKind
from fiscus.schema import ledger_statements as types
from fiscus.schema.errors import attempt
from fiscus.schema.permissions import requires
from fiscus.services.ledger import exports
from fiscus.services.ledger import statements as service

T = TypeVar("T")

From = Annotated[date, strawberry.argument(name="from")]


async def _answer(call: Callable[[], Awaitable[T]], argument: str = "from") -> T:
    try:
        return await call()
    except DomainError as error:
        raise GraphQLError(
            error.message, extensions={"code": error.code, "argument": error.field or argument}
        ) from None


def _request(
    kind: StatementKind,
    from_: date,
    to: date,
    interval: Interval,
    compare_with: Comparison | None,
    dimension: types.DimensionFilter | None,
    currency: str | None,
) -> service.StatementRequest:
    return service.StatementRequest(
        kind=kind,
        from_day=from_,
        to_day=to,
        interval=interval,
        compare_with=compare_with,
        dimension=service.checked_dimension(dimension.key, dimension.value) if dimension else None,
        currency=currency,
    )


async def _statement(
    info: Info,
    kind: StatementKind,
    from_: date,
    to: date,
    interval: Interval,
    compare_with: Comparison | None,
    dimension: types.DimensionFilter | None,
    currency: str | None,
) -> types.FinancialStatement:
    principal = await info.context.require_principal()

    async def build() -> types.FinancialStatement:
        request = _request(kind, from_, to, interval, compare_with, dimension, currency)
        statement = await service.build_statement(info.context.ledger, principal, request)
        return types.FinancialStatement.from_domain(statement, interval)

    return await _answer(build)


_READ = [requires(Permission.REPORTS_READ)]


@strawberry.type
class StatementsQuery:
    @strawberry.field(
        description="Every account's balance at the end of each column (debits and "
        "credits); the columns sum to zero.",
        permission_classes=_READ,
    )
    async def trial_balance(
        self,
        info: Info,
        from_: From,
        to: date,
        interval: Interval = Interval.MONTH,
        compare_with: Comparison | None = None,
        dimension: types.DimensionFilter | None = None,
        currency: str | None = None,
    ) -> types.FinancialStatement:
        return await _statement(
            info,
            StatementKind.TRIAL_BALANCE,
            from_,
            to,
            interval,
            compare_with,
            dimension,
            currency,
        )

    @strawberry.field(
        description="Income and expenses moved in each column, rolled up along the account "
        "tree; net income = income - expenses.",
        permission_classes=_READ,
    )
    async def income_statement(
        self,
        info: Info,
        from_: From,
        to: date,
        interval: Interval = Interval.MONTH,
        compare_with: Comparison | None = None,
        dimension: types.DimensionFilter | None = None,
        currency: str | None = None,
    ) -> types.FinancialStatement:
        return await _statement(
            info,
            StatementKind.INCOME_STATEMENT,
            from_,
            to,
            interval,
            compare_with,
            dimension,
            currency,
        )

    @strawberry.field(
        description="Assets, liabilities and equity at the end of each column; assets = "
        "liabilities + equity + earnings not closed into equity.",
        permission_classes=_READ,
    )
    async def balance_sheet(
        self,
        info: Info,
        from_: From,
        to: date,
        interval: Interval = Interval.MONTH,
        compare_with: Comparison | None = None,
        dimension: types.DimensionFilter | None = None,
        currency: str | None = None,
    ) -> types.FinancialStatement:
        return await _statement(
            info,
            StatementKind.BALANCE_SHEET,
            from_,
            to,
            interval,
            compare_with,
            dimension,
            currency,
        )

    @strawberry.field(
        description="Cash moved in each column: DIRECT (cash-account movements by counterpart) "
        "or INDIRECT (net income, non-cash items, working capital, investing, financing).",
        permission_classes=_READ,
    )
    async def cash_flow_statement(
        self,
        info: Info,
        from_: From,
        to: date,
        interval: Interval = Interval.MONTH,
        method: types.CashFlowMethod = types.CashFlowMethod.INDIRECT,
        compare_with: Comparison | None = None,
        dimension: types.DimensionFilter | None = None,
        currency: str | None = None,
    ) -> types.FinancialStatement:
        kind = (
            StatementKind.CASH_FLOW_DIRECT
            if method is types.CashFlowMethod.DIRECT
            else StatementKind.CASH_FLOW_INDIRECT
        )
        return await _statement(info, kind, from_, to, interval, compare_with, dimension, currency)


@strawberry.type
class ExportsMutation:
    @strawberry.mutation(
        description="A link to download a statement as CSV or XLSX (GET /exports/<token> "
        "with your access token, within five minutes).",
        permission_classes=_READ,
    )
    async def export_statement(
        self,
        info: Info,
        kind: StatementKind,
        format: types.ExportFormat,
        from_: From,
        to: date,
        interval: Interval = Interval.MONTH,
        compare_with: Comparison | None = None,
        dimension: types.DimensionFilter | None = None,
        currency: str | None = None,
    ) -> types.ExportResult:
        request = exports.ExportRequest(
            what=kind.value,
            format=format.value,
            from_day=from_,
            to_day=to,
            interval=interval.value,
            compare_with=compare_with.value if compare_with else None,
            dimension=(dimension.key, dimension.value) if dimension else None,
            currency=currency,
        )
        return await _link(info, request)

    @strawberry.mutation(
        description="A link to download the journal's lines (posted entries) of a date range "
        "as CSV or XLSX.",
        permission_classes=[requires(Permission.LEDGER_READ)],
    )
    async def export_journal(
        self, info: Info, format: types.ExportFormat, from_: From, to: date
    ) -> types.ExportResult:
        request = exports.ExportRequest(
            what=exports.JOURNAL, format=format.value, from_day=from_, to_day=to
        )
        return await _link(info, request)


async def _link(info: Info, request: exports.ExportRequest) -> types.ExportResult:
    principal = await info.context.require_principal()
    ledger = info.context.ledger

    async def run() -> types.ExportLink:
        token, expires_at = exports.create_link(
            exports.link_key(ledger.settings), principal, request, ledger.clock()
        )
        return types.ExportLink(url=f"/exports/{token}", expires_at=expires_at)

    return cast(types.ExportResult, await attempt(run))
