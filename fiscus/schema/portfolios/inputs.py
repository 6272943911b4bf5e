"""Inputs and results of the portfolio mutations. Bulk rows name their errors
``input.transactions[<i>].<field>``; CSV rows ``input.csv[<line>].<field>``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from fiscus.domain.portfolios import model as domain
from fiscus.persistence.repositories.portfolio_rows import StoredTransaction
from fiscus.schema.errors import ConflictError, NotFoundError, RuleViolationError, ValidationError
from fiscus.schema.ledger_statements import ExportFormat, ExportLink
from fiscus.schema.limits import max_items
from fiscus.schema.portfolios.records import PortfolioTransaction
from fiscus.schema.portfolios.types import Portfolio


@strawberry.input
class CreatePortfolioInput:
    name: str
    base_currency: str
    cost_basis_method: domain.CostBasisMethod = domain.CostBasisMethod.FIFO
    allow_margin: bool = strawberry.field(
        default=False, description="Allow cash below zero (borrowing)."
    )


@strawberry.input
class UpdatePortfolioInput:
    portfolio_id: strawberry.ID
    name: str | None = None
    cost_basis_method: domain.CostBasisMethod | None = strawberry.field(
        default=None, description="Replays the whole history under the new method."
    )
    allow_margin: bool | None = None
    archived: bool | None = None


@strawberry.input
class PortfolioIdInput:
    portfolio_id: strawberry.ID


@strawberry.input
class LotPickInput:
    lot_id: str = strawberry.field(description="A `Lot.id` (SPECIFIC method).")
    quantity: Decimal


@strawberry.input(
    description="One transaction. Trades name a `symbol` (its currency is the instrument's); "
    "cash rows without one are in `currency` (default: the base currency). `fxRate` is "
    "filled from market data on `date`."
)
class PortfolioTransactionInput:
    type: domain.TransactionType
    date: date
    symbol: str | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    fee: Decimal | None = None
    amount: Decimal | None = None
    ratio: Decimal | None = strawberry.field(
        default=None, description="SPLIT: new shares per old share (2 = 2-for-1)."
    )
    lots: list[LotPickInput] | None = None
    reference: str | None = strawberry.field(
        default=None, description="The broker's id; unique per portfolio."
    )
    note: str | None = None
    currency: str | None = None
    reinvested: bool | None = strawberry.field(
        default=None,
        description="DIVIDEND: true with quantity and price (a new lot), false with amount.",
    )


def _transaction_from_input(
    cls: type[PortfolioTransactionInput], value: Mapping[str, Any], _context: object
) -> PortfolioTransactionInput:
    """Builds a row straight from graphql-core's coerced value (scalars and enums already
    parsed): Strawberry's generic conversion costs about 0.3 ms a row, too much for 10,000
    rows per request on the event loop. Keep in step with the fields above."""
    lots = value.get("lots")
    return cls(
        type=value["type"],
        date=value["date"],
        symbol=value.get("symbol"),
        quantity=value.get("quantity"),
        price=value.get("price"),
        fee=value.get("fee"),
        amount=value.get("amount"),
        ratio=value.get("ratio"),
        lots=None
        if lots is None
        else [LotPickInput(lot_id=p["lotId"], quantity=p["quantity"]) for p in lots],
        reference=value.get("reference"),
        note=value.get("note"),
        currency=value.get("currency"),
        reinvested=value.get("reinvested"),
    )


PortfolioTransactionInput.__strawberry_definition__.from_input = _transaction_from_input  # type: ignore[attr-defined]


@strawberry.input
class RecordPortfolioTransactionsInput:
    portfolio_id: strawberry.ID
    idempotency_key: str
    transactions: list[PortfolioTransactionInput] = strawberry.field(
        metadata=max_items(domain.MAX_TRANSACTIONS_PER_CALL),
        description="Up to 10,000, all or nothing.",
    )


@strawberry.input(description="Only the fields given change; an empty reference/note clears.")
class UpdatePortfolioTransactionInput:
    transaction_id: strawberry.ID
    type: domain.TransactionType | None = None
    date: date | None = None
    symbol: str | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    fee: Decimal | None = None
    amount: Decimal | None = None
    ratio: Decimal | None = None
    lots: list[LotPickInput] | None = None
    reference: str | None = None
    note: str | None = None
    currency: str | None = None


@strawberry.input
class DeletePortfolioTransactionInput:
    transaction_id: strawberry.ID


@strawberry.input
class TransferBetweenPortfoliosInput:
    from_portfolio_id: strawberry.ID
    to_portfolio_id: strawberry.ID
    date: date
    symbol: str
    quantity: Decimal | None = strawberry.field(
        default=None, description="Optional with `lots` (their total)."
    )
    lots: list[LotPickInput] | None = strawberry.field(
        default=None, description="Which lots leave (source under SPECIFIC)."
    )
    idempotency_key: str
    note: str | None = None


@strawberry.input
class CsvTypeValueInput:
    value: str
    type: domain.TransactionType


@strawberry.input(
    name="PortfolioCsvMappingInput",
    description="Which header names the file uses for each field (only `date` and `type` "
    "are required), how its dates and decimals are written, and how it spells types."
)
class CsvMappingInput:
    date: str
    type: str
    symbol: str | None = None
    quantity: str | None = None
    price: str | None = None
    fee: str | None = None
    amount: str | None = None
    ratio: str | None = None
    reference: str | None = None
    note: str | None = None
    currency: str | None = None
    date_format: str = strawberry.field(
        default="%Y-%m-%d", description="strptime format, e.g. %d.%m.%Y."
    )
    decimal_separator: str = strawberry.field(default=".", description='"." or ",".')
    type_values: list[CsvTypeValueInput] | None = strawberry.field(
        default=None, description='The file\'s own words for types ("Kauf" -> BUY).'
    )


@strawberry.input
class ImportPortfolioTransactionsCsvInput:
    portfolio_id: strawberry.ID
    csv: str
    mapping_id: strawberry.ID | None = strawberry.field(
        default=None, description="A saved mapping (portfolioCsvMappings)."
    )
    mapping: CsvMappingInput | None = None
    save_mapping_as: str | None = strawberry.field(
        default=None, description="Also save `mapping` under this name."
    )
    idempotency_key: str


@strawberry.input
class ExportCapitalGainsInput:
    portfolio_id: strawberry.ID
    tax_year: int
    format: ExportFormat


# Results.


@strawberry.type
class PortfolioSuccess:
    portfolio: Portfolio


@strawberry.type
class DeletePortfolioSuccess:
    deleted_portfolio_id: strawberry.ID


@strawberry.type
class RecordPortfolioTransactionsSuccess:
    portfolio: Portfolio
    recorded: int
    replayed: bool = strawberry.field(
        description="True when an earlier request with this idempotency key did the work."
    )
    stored: strawberry.Private[list[StoredTransaction]]

    @strawberry.field(description="The rows recorded, in input order.")
    def transactions(self) -> list[PortfolioTransaction]:
        return [PortfolioTransaction.from_domain(s) for s in self.stored]


@strawberry.type
class PortfolioTransactionSuccess:
    portfolio: Portfolio
    transaction: PortfolioTransaction


@strawberry.type
class DeletePortfolioTransactionSuccess:
    portfolio: Portfolio
    deleted_transaction_id: strawberry.ID


@strawberry.type
class TransferSuccess:
    source: Portfolio
    target: Portfolio
    transfer_out: PortfolioTransaction
    transfer_in: PortfolioTransaction
    replayed: bool


@strawberry.type
class CsvDuplicate:
    line: int
    reference: str


@strawberry.type
class CsvTypeValue:
    value: str
    type: domain.TransactionType


@strawberry.type(name="PortfolioCsvMapping")
class CsvMapping:
    id: strawberry.ID
    name: str
    date: str
    type: str
    symbol: str | None
    quantity: str | None
    price: str | None
    fee: str | None
    amount: str | None
    ratio: str | None
    reference: str | None
    note: str | None
    currency: str | None
    date_format: str
    decimal_separator: str
    type_values: list[CsvTypeValue]


@strawberry.type
class ImportPortfolioCsvSuccess:
    portfolio: Portfolio
    transactions: list[PortfolioTransaction]
    imported: int
    duplicates: list[CsvDuplicate] = strawberry.field(
        description="Rows skipped: their reference is already recorded."
    )
    mapping: CsvMapping | None
    replayed: bool


def _union(name: str, success: Any) -> Any:
    return Annotated[
        success | ValidationError | NotFoundError | RuleViolationError | ConflictError,
        strawberry.union(name),
    ]


PortfolioResult = _union("PortfolioResult", PortfolioSuccess)
DeletePortfolioResult = _union("DeletePortfolioResult", DeletePortfolioSuccess)
RecordPortfolioTransactionsResult = _union(
    "RecordPortfolioTransactionsResult", RecordPortfolioTransactionsSuccess
)
PortfolioTransactionResult = _union("PortfolioTransactionResult", PortfolioTransactionSuccess)
DeletePortfolioTransactionResult = _union(
    "DeletePortfolioTransactionResult", DeletePortfolioTransactionSuccess
)
TransferResult = _union("TransferResult", TransferSuccess)
ImportPortfolioCsvResult = _union("ImportPortfolioCsvResult", ImportPortfolioCsvSuccess)
CapitalGainsExportResult = Annotated[
    ExportLink | ValidationError | NotFoundError, strawberry.union("CapitalGainsExportResult")
]
