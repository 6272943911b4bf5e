"""GraphQL types of import settings: saved CSV column mappings and bank connections."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from fiscus.domain.imports import AmountSign
from fiscus.persistence.reads.imports import ConnectionRecord, CsvMappingRecord
from fiscus.schema.ledger import Account
from fiscus.schema.relay import Node, parse_global_id, to_global_id


@strawberry.type
class CsvMapping(Node):
    id: strawberry.ID
    name: str
    created_at: datetime
    date_column: str
    description_column: str
    amount_column: str | None
    debit_column: str | None
    credit_column: str | None
    date_format: str
    decimal_separator: str
    amount_sign: AmountSign
    delimiter: str
    has_header: bool
    skip_rows: int
    payee_column: str | None
    memo_column: str | None
    posted_date_column: str | None
    balance_column: str | None
    reference_column: str | None

    @classmethod
    def from_record(cls, record: CsvMappingRecord) -> CsvMapping:
        m = record.mapping
        return cls(
            id=to_global_id("CsvMapping", record.id),
            name=record.name,
            created_at=record.created_at,
            date_column=m["date_column"],
            description_column=m["description_column"],
            amount_column=m.get("amount_column"),
            debit_column=m.get("debit_column"),
            credit_column=m.get("credit_column"),
            date_format=m.get("date_format", "%Y-%m-%d"),
            decimal_separator=m.get("decimal_separator", "."),
            amount_sign=AmountSign(m.get("amount_sign", "inflow_positive")),
            delimiter=m.get("delimiter", ","),
            has_header=m.get("has_header", True),
            skip_rows=m.get("skip_rows", 0),
            payee_column=m.get("payee_column"),
            memo_column=m.get("memo_column"),
            posted_date_column=m.get("posted_date_column"),
            balance_column=m.get("balance_column"),
            reference_column=m.get("reference_column"),
        )


@strawberry.type
class ConnectedAccount:
    plaid_account_id: str
    account_id: strawberry.ID

    @strawberry.field
    async def account(self, info: Info) -> Account | None:
        key = parse_global_id(self.account_id, "Account", field="accountId")
        found = await info.context.loaders.ledger_accounts.load(key) if key else None
        return Account.from_domain(found) if found else None


@strawberry.type(description="A Plaid item: its accounts feed ledger accounts.")
class BankConnection(Node):
    id: strawberry.ID
    provider: str
    institution_name: str | None
    accounts: list[ConnectedAccount]
    status: str
    last_synced_at: datetime | None
    last_error: str | None
    created_at: datetime

    @classmethod
    def from_record(cls, record: ConnectionRecord) -> BankConnection:
        return cls(
            id=to_global_id("BankConnection", record.id),
            provider=record.provider,
            institution_name=record.institution_name,
            accounts=[
                ConnectedAccount(plaid_account_id=k, account_id=to_global_id("Account", v))
                for k, v in sorted(record.accounts.items())
            ],
            status=record.status,
            last_synced_at=record.last_synced_at,
            last_error=record.last_error,
            created_at=record.created_at,
        )
