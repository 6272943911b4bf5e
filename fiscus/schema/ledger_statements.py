"""Financial statements as GraphQL types: columns, and lines carrying one amount per column
(plus the compared columns' amounts and the deltas when a comparison was asked for)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from fiscus.domain.ledger import statements as domain
from fiscus.schema.errors import ValidationError
from fiscus.schema.relay import to_global_id

# The node type name of a ledger account's global id: the books' ``Account`` node
# (fiscus.schema.ledger), so a statement line's accountId works in ``account(id:)``.
ACCOUNT_NODE = "Account"

strawberry.enum(domain.Interval, name="StatementInterval")
strawberry.enum(domain.Comparison, name="StatementComparison")
strawberry.enum(domain.LineKind, name="StatementLineKind")
strawberry.enum(domain.StatementKind, name="StatementKind")


@strawberry.enum(description="How the cash-flow statement is derived.")
class CashFlowMethod(enum.Enum):
    DIRECT = "direct"
    INDIRECT = "indirect"


@strawberry.input(
    description="Only lines whose dimension (or, without one, whose account's "
    "tag) `key` has this `value`."
)
class DimensionFilter:
    key: str
    value: str


@strawberry.type
class StatementColumn:
    start: date
    end: date
    label: str


_SCALE = Decimal("0.0001")  # NUMERIC(20, 4), as stored


def _scaled(values: tuple[Decimal, ...]) -> list[Decimal]:
    return [v.quantize(_SCALE) for v in values]


def _max0(values: tuple[Decimal, ...]) -> list[Decimal]:
    return [v if v > 0 else Decimal(0) for v in values]


@strawberry.type
class StatementLine:
    key: str
    label: str
    kind: domain.LineKind
    depth: int
    code: str | None
    account_id: strawberry.ID | None
    amounts: list[Decimal] = strawberry.field(
        description="One per column, signs as the "
        "statement presents them (docs/LEDGER_STATEMENTS.md)."
    )
    compared: list[Decimal] | None
    deltas: list[Decimal] | None = strawberry.field(description="amounts - compared.")

    @strawberry.field(description="Trial balance: the debit column (positive balances).")
    def debits(self) -> list[Decimal]:
        return _scaled(tuple(_max0(tuple(self.amounts))))

    @strawberry.field(
        description="Trial balance: the credit column (negative balances, as positive numbers)."
    )
    def credits(self) -> list[Decimal]:
        return _scaled(tuple(_max0(tuple(-a for a in self.amounts))))

    @classmethod
    def from_domain(cls, line: domain.Line) -> StatementLine:
        return cls(
            key=line.key,
            label=line.label,
            kind=line.kind,
            depth=line.depth,
            code=line.code,
            account_id=to_global_id(ACCOUNT_NODE, line.account_id)
            if line.account_id and line.account_id.int
            else None,
            amounts=_scaled(line.amounts),
            compared=_scaled(line.compared) if line.compared is not None else None,
            deltas=_scaled(line.deltas) if line.deltas is not None else None,
        )


@strawberry.type(description="A financial statement in one reporting currency.")
class FinancialStatement:
    kind: domain.StatementKind
    currency: str
    interval: domain.Interval
    columns: list[StatementColumn]
    compared_columns: list[StatementColumn] | None
    lines: list[StatementLine]

    @classmethod
    def from_domain(
        cls, statement: domain.Statement, interval: domain.Interval
    ) -> FinancialStatement:
        def columns(periods: tuple[domain.Period, ...]) -> list[StatementColumn]:
            return [
                StatementColumn(start=p.start, end=p.end, label=domain.label(p, interval))
                for p in periods
            ]

        return cls(
            kind=statement.kind,
            currency=statement.currency,
            interval=interval,
            columns=columns(statement.columns),
            compared_columns=columns(statement.compared_columns)
            if statement.compared_columns is not None
            else None,
            lines=[StatementLine.from_domain(line) for line in statement.lines],
        )


@strawberry.enum
class ExportFormat(enum.Enum):
    CSV = "csv"
    XLSX = "xlsx"


@strawberry.type(
    description="A short-lived link: GET it with the same `Authorization: Bearer` header; "
    "it works for members of the caller's organization only, until `expiresAt`."
)
class ExportLink:
    url: str = strawberry.field(description="A path on this server: /exports/<token>.")
    expires_at: datetime


ExportResult = Annotated[ExportLink | ValidationError, strawberry.union("ExportResult")]
