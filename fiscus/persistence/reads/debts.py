"""Debt reads (``reads.debts``): debts with their rate changes, and their payments, set-based
(one statement for any number of debts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text

from fiscus.domain.debts import (
    Accrual,
    Debt,
    DebtKind,
    DebtPayment,
    DebtStatus,
    PaymentRule,
    PaymentRuleKind,
    RateChange,
    RatePolicy,
)
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.repositories import ReadRepository

_COLUMNS = """
    d.id, d.org_id, d.name, d.kind, d.lender, d.currency, d.opening_balance,
    d.annual_rate_percent, d.accrual, d.rule_kind, d.term_months, d.rule_amount,
    d.rule_percent, d.rule_floor, d.payment_day, d.start_date, d.rate_policy,
    d.liability_account_id, d.interest_account_id, d.status, d.created_at,
    coalesce((SELECT jsonb_agg(jsonb_build_array(c.effective_from, c.annual_rate_percent::text)
                               ORDER BY c.effective_from)
              FROM debt_rate_changes c WHERE c.org_id = d.org_id AND c.debt_id = d.id),
             '[]'::jsonb) AS changes"""
_PAGE = ReadQuery.of(
    text(f"""
    SELECT {_COLUMNS} FROM debts d
    WHERE d.org_id = :org_id AND (:status = '' OR d.status = :status)
      AND (d.created_at, d.id) > (:after_at, :after_id)
    ORDER BY d.created_at, d.id LIMIT :limit""")  # noqa: S608 -- a constant fragment
)
_BY_IDS = ReadQuery.of(
    text(f"""
    SELECT {_COLUMNS} FROM debts d
    WHERE d.org_id = :org_id AND d.id = ANY(CAST(:ids AS uuid[]))""")  # noqa: S608
)
_ACTIVE = ReadQuery.of(
    text(f"""
    SELECT {_COLUMNS} FROM debts d
    WHERE d.org_id = :org_id AND d.status = 'active'
    ORDER BY d.created_at, d.id""")  # noqa: S608
)
_PAYMENTS = ReadQuery.of(
    text("""
    SELECT id, debt_id, paid_on, amount, interest, principal, extra, entry_id, created_at
    FROM debt_payments
    WHERE org_id = :org_id AND debt_id = ANY(CAST(:ids AS uuid[]))
    ORDER BY debt_id, paid_on, created_at, id""")
)


def debt_of(r: Any) -> Debt:
    changes = tuple(RateChange(date.fromisoformat(c[0]), Decimal(c[1])) for c in r["changes"])
    return Debt(
        r["id"],
        r["org_id"],
        r["name"],
        DebtKind(r["kind"]),
        r["lender"],
        r["currency"],
        Decimal(r["opening_balance"]),
        Decimal(r["annual_rate_percent"]),
        Accrual(r["accrual"]),
        PaymentRule(
            PaymentRuleKind(r["rule_kind"]),
            r["term_months"],
            None if r["rule_amount"] is None else Decimal(r["rule_amount"]),
            None if r["rule_percent"] is None else Decimal(r["rule_percent"]),
            None if r["rule_floor"] is None else Decimal(r["rule_floor"]),
        ),
        r["payment_day"],
        r["start_date"],
        RatePolicy(r["rate_policy"]),
        r["liability_account_id"],
        r["interest_account_id"],
        DebtStatus(r["status"]),
        changes,
        r["created_at"],
    )


_EPOCH = datetime(1970, 1, 1).astimezone()
_NO_ID = UUID(int=0)


class DebtsReads(ReadRepository):
    async def page(
        self, *, status: str | None, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[Debt]:
        after_at, after_id = after or (_EPOCH, _NO_ID)
        rows = await self.fetch(
            _PAGE,
            org_id=self.org_id,
            status=status or "",
            after_at=after_at,
            after_id=after_id,
            limit=limit,
        )
        return [debt_of(r) for r in rows]

    async def by_ids(self, ids: Sequence[UUID]) -> list[Debt]:
        if not ids:
            return []
        return [debt_of(r) for r in await self.fetch(_BY_IDS, org_id=self.org_id, ids=list(ids))]

    async def active(self) -> list[Debt]:
        return [debt_of(r) for r in await self.fetch(_ACTIVE, org_id=self.org_id)]

    async def payments(self, debt_ids: Sequence[UUID]) -> dict[UUID, list[DebtPayment]]:
        found: dict[UUID, list[DebtPayment]] = {i: [] for i in debt_ids}
        if not debt_ids:
            return found
        for r in await self.fetch(_PAYMENTS, org_id=self.org_id, ids=list(debt_ids)):
            found[r["debt_id"]].append(
                DebtPayment(
                    r["id"],
                    r["debt_id"],
                    r["paid_on"],
                    Decimal(r["amount"]),
                    Decimal(r["interest"]),
                    Decimal(r["principal"]),
                    Decimal(r["extra"]),
                    r["entry_id"],
                    r["created_at"],
                )
            )
        return found
