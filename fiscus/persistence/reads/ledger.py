"""Ledger reads: the chart of accounts, entries and lines, balances from the derived
per-day summary (``ledger_account_days``), period state, assertions.

Every statement filters by ``org_id`` explicitly as well as through RLS. Balances never
scan ``journal_lines``: they sum the summary rows in the asked range (one index range scan
on the summary's primary key per account).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import Uuid, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from fiscus.domain.ledger import Account, AccountDaySum, AccountType
from fiscus.persistence.models.ledger import LedgerAccountRow
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.repositories import ReadRepository

_ACCOUNT_COLUMNS = (
    LedgerAccountRow.id,
    LedgerAccountRow.org_id,
    LedgerAccountRow.code,
    LedgerAccountRow.name,
    LedgerAccountRow.type,
    LedgerAccountRow.currency,
    LedgerAccountRow.parent_id,
    LedgerAccountRow.archived,
    LedgerAccountRow.tags,
)
_ACCOUNTS = ReadQuery.of(
    select(*_ACCOUNT_COLUMNS)
    .where(LedgerAccountRow.org_id == bindparam("org_id"))
    .order_by(LedgerAccountRow.code)
)
_ACCOUNTS_BY_IDS = ReadQuery.of(
    select(*_ACCOUNT_COLUMNS).where(
        LedgerAccountRow.org_id == bindparam("org_id"),
        LedgerAccountRow.id == any_(bindparam("ids", type_=ARRAY(Uuid()))),
    )
)
_DAY_SUMS = ReadQuery.of(
    text("""
    SELECT account_id, currency, day, amount_sum, line_count FROM ledger_account_days
    WHERE org_id = :org_id AND day >= :from_day AND day <= :to_day
    ORDER BY account_id, currency, day""")
)


def account_of(row: asyncpg.Record | Any) -> Account:
    return Account(
        row["id"],
        row["org_id"],
        row["code"],
        row["name"],
        AccountType(row["type"]),
        row["currency"],
        row["parent_id"],
        row["archived"],
        dict(row["tags"] or {}),
    )


class LedgerReads(ReadRepository):
    async def accounts(self) -> list[Account]:
        """The organization's whole chart, archived accounts included, by code."""
        return [account_of(r) for r in await self.fetch(_ACCOUNTS, org_id=self.org_id)]

    async def accounts_by_ids(self, ids: Sequence[UUID]) -> list[Account]:
        if not ids:
            return []
        rows = await self.fetch(_ACCOUNTS_BY_IDS, org_id=self.org_id, ids=list(ids))
        return [account_of(r) for r in rows]

    async def day_sums(self, from_day: date, to_day: date) -> list[AccountDaySum]:
        """Summary rows of every account with posted lines in [from_day, to_day]: the signed
        sum (debit > 0) per account, currency and day."""
        rows = await self.fetch(_DAY_SUMS, org_id=self.org_id, from_day=from_day, to_day=to_day)
        return [
            AccountDaySum(
                r["account_id"], r["currency"], r["day"], Decimal(r["amount_sum"]), r["line_count"]
            )
            for r in rows
        ]


# -- statements --
# ledger-reports appends the statement queries below this line.
