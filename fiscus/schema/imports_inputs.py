"""Inputs and results of bank import mutations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from fiscus.domain.imports import AmountSign, StatementFormat
from fiscus.domain.imports import CsvMapping as DomainMapping
from fiscus.schema.bank_connections import BankConnection, CsvMapping
from fiscus.schema.errors import ConflictError, NotFoundError, RuleViolationError, ValidationError
from fiscus.schema.imports import BankImport
from fiscus.schema.ledger import BalanceAssertion
from fiscus.schema.limits import max_items
from fiscus.schema.uploads import Upload


@strawberry.input(
    description="How to read a generic CSV. Columns are named by their header text (any "
    "case) or, without a header, by position (1, 2, ...). One `amountColumn`, or a "
    "`debitColumn` (money out) and a `creditColumn` (money in)."
)
class CsvMappingInput:
    date_column: str
    description_column: str
    amount_column: str | None = None
    debit_column: str | None = None
    credit_column: str | None = None
    date_format: str = strawberry.field(
        default="%Y-%m-%d", description="strptime directives %d %m %b %B %y %Y only."
    )
    decimal_separator: str = "."
    amount_sign: AmountSign = AmountSign.INFLOW_POSITIVE
    delimiter: str = ","
    has_header: bool = True
    skip_rows: int = 0
    payee_column: str | None = None
    memo_column: str | None = None
    posted_date_column: str | None = None
    balance_column: str | None = None
    reference_column: str | None = strawberry.field(
        default=None, description="The bank's id per line: then the dedupe key."
    )

    def to_domain(self) -> DomainMapping:
        return DomainMapping(
            date_column=self.date_column,
            description_column=self.description_column,
            amount_column=self.amount_column,
            debit_column=self.debit_column,
            credit_column=self.credit_column,
            date_format=self.date_format,
            decimal_separator=self.decimal_separator,
            amount_sign=self.amount_sign,
            delimiter=self.delimiter,
            has_header=self.has_header,
            skip_rows=self.skip_rows,
            payee_column=self.payee_column,
            memo_column=self.memo_column,
            posted_date_column=self.posted_date_column,
            balance_column=self.balance_column,
            reference_column=self.reference_column,
        )


@strawberry.input
class ImportStatementInput:
    account_id: strawberry.ID = strawberry.field(
        description="The bank (asset) or card (liability) account the statement is for."
    )
    file: Upload = strawberry.field(description="The statement, as a multipart upload.")
    format: StatementFormat | None = strawberry.field(
        default=None, description="Default: detected from the file."
    )
    mapping: CsvMappingInput | None = None
    mapping_id: strawberry.ID | None = None
    account_number: str | None = strawberry.field(
        default=None, description="OFX files with several accounts: the one ending so."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="The same key and file again answer the first import; another file: "
        "IDEMPOTENCY_KEY_REUSED.",
    )


@strawberry.input
class SaveCsvMappingInput:
    name: str
    mapping: CsvMappingInput


@strawberry.input
class CsvMappingIdInput:
    mapping_id: strawberry.ID


@strawberry.input
class ReconcileAccountInput:
    account_id: strawberry.ID
    statement_date: date
    statement_balance: Decimal = strawberry.field(
        description="The statement's closing balance, signed like the books (a card's debt < 0)."
    )


@strawberry.input
class PlaidAccountInput:
    plaid_account_id: str
    account_id: strawberry.ID


@strawberry.input
class ConnectPlaidItemInput:
    public_token: str = strawberry.field(description="From Plaid Link; exchanged server-side.")
    institution_name: str | None = None
    accounts: list[PlaidAccountInput] = strawberry.field(
        description="Which ledger account each Plaid account feeds.",
        metadata=max_items(20),
    )


@strawberry.input
class UpdateBankConnectionInput:
    connection_id: strawberry.ID
    accounts: list[PlaidAccountInput] = strawberry.field(metadata=max_items(20))


@strawberry.input
class BankConnectionIdInput:
    connection_id: strawberry.ID


@strawberry.type
class ImportStatementSuccess:
    bank_import: BankImport = strawberry.field(name="import")


@strawberry.type
class CsvMappingSuccess:
    mapping: CsvMapping


@strawberry.type
class DeleteCsvMappingSuccess:
    deleted_mapping_id: strawberry.ID


@strawberry.type
class ReconcileSuccess:
    assertion: BalanceAssertion
    books_balance: Decimal = strawberry.field(description="Posted lines at the day's end.")
    difference: Decimal = strawberry.field(description="Statement minus books.")
    reconciled: bool = strawberry.field(description="The balances agree: lines were cleared.")
    cleared: int = strawberry.field(description="Bank lines marked cleared now.")
    unposted_lines: int = strawberry.field(
        description="This account's imported lines on or before the day still in draft."
    )
    unposted_amount: Decimal


@strawberry.type
class BankConnectionSuccess:
    connection: BankConnection


@strawberry.type
class DeleteBankConnectionSuccess:
    deleted_connection_id: strawberry.ID


@strawberry.type
class SyncBankConnectionSuccess:
    connection: BankConnection
    added: int
    modified: int
    removed: int
    imports: list[BankImport]


def _union(name: str, success: Any) -> Any:
    return Annotated[
        success | ValidationError | NotFoundError | RuleViolationError | ConflictError,
        strawberry.union(name),
    ]


ImportStatementResult = _union("ImportStatementResult", ImportStatementSuccess)
CsvMappingResult = _union("CsvMappingResult", CsvMappingSuccess)
DeleteCsvMappingResult = _union("DeleteCsvMappingResult", DeleteCsvMappingSuccess)
ReconcileResult = _union("ReconcileResult", ReconcileSuccess)
BankConnectionResult = _union("BankConnectionResult", BankConnectionSuccess)
DeleteBankConnectionResult = _union("DeleteBankConnectionResult", DeleteBankConnectionSuccess)
SyncBankConnectionResult = _union("SyncBankConnectionResult", SyncBankConnectionSuccess)
