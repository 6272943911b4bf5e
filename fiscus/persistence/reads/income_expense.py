"""Top payees: the one statistic the summaries cannot answer (they have no counterparty),
read from the journal lines of the range on ``(org_id, entry_date)``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import text

from fiscus.domain.income_expense import Payee
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.ledger import LedgerReads
from fiscus.persistence.reads.repositories import ReadRepository

_TOP_PAYEES = ReadQuery.of(
    text("""
    SELECT l.counterparty AS name, sum(l.amount) AS total, count(*) AS n
    FROM journal_lines l
    JOIN ledger_accounts a ON a.org_id = l.org_id AND a.id = l.account_id
    WHERE l.org_id = :org_id AND l.entry_date >= :from_day AND l.entry_date <= :to_day
      AND a.type = 'expense' AND l.currency = :currency AND l.counterparty IS NOT NULL
    GROUP BY l.counterparty
    ORDER BY sum(l.amount) DESC, l.counterparty
    LIMIT :limit""")
)


class IncomeExpenseReads(ReadRepository):
    @classmethod
    def of(cls, ledger: LedgerReads) -> IncomeExpenseReads:
        return cls(ledger._connection, ledger._org_id)

    async def top_payees(
        self, from_day: date, to_day: date, currency: str, limit: int = 10
    ) -> list[Payee]:
        rows = await self.fetch(
            _TOP_PAYEES,
            org_id=self.org_id,
            from_day=from_day,
            to_day=to_day,
            currency=currency,
            limit=limit,
        )
        return [Payee(r["name"], Decimal(r["total"]), r["n"]) for r in rows]
