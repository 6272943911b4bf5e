"""Receivables reads (``reads.receivables``): counterparties, charges, payments and
allocations by id and by page, positions (balance and credit) and aging as of a day,
statements of account, and the sub-ledger's integrity checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from fiscus.domain.receivables import (
    AgingFigures,
    AgingRow,
    Allocation,
    Charge,
    Counterparty,
    Movement,
    Payment,
    StatementLineKind,
    exact,
)
from fiscus.persistence.reads.receivables import sql
from fiscus.persistence.reads.receivables.integrity import IntegrityReads, SubLedgerReport
from fiscus.persistence.reads.repositories import ReadRepository
from fiscus.persistence.repositories.receivables import (
    allocation_of,
    charge_of,
    counterparty_of,
    payment_of,
)

__all__ = [
    "AgingGroup",
    "ChargeFilters",
    "CounterpartyFilters",
    "IntegrityReads",
    "PaymentFilters",
    "Position",
    "ReceivablesReads",
    "SubLedgerReport",
]

_FIRST = date(1, 1, 1)
_LAST = date(9999, 12, 30)
_MAX_UUID = UUID(int=2**128 - 1)


@dataclass(frozen=True, slots=True)
class CounterpartyFilters:
    kind: str | None = None
    search: str | None = None
    include_archived: bool = False
    after: tuple[str, UUID] | None = None


@dataclass(frozen=True, slots=True)
class ChargeFilters:
    counterparty_id: UUID | None = None
    lease_id: UUID | None = None
    kind: str | None = None
    status: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    building: str | None = None
    after: tuple[date, UUID] | None = None


@dataclass(frozen=True, slots=True)
class PaymentFilters:
    counterparty_id: UUID | None = None
    status: str | None = None
    from_day: date | None = None
    to_day: date | None = None
    after: tuple[date, UUID] | None = None


@dataclass(frozen=True, slots=True)
class Position:
    balance: Decimal
    """Charges less allocations, on the day."""
    credit: Decimal
    """Payments less allocations, on the day."""


class AgingGroup:
    COUNTERPARTY = "counterparty"
    BUILDING = "building"
    UNIT = "unit"
    TOTAL = "total"


_AGING = {
    AgingGroup.COUNTERPARTY: sql.AGING_BY_COUNTERPARTY,
    AgingGroup.BUILDING: sql.AGING_BY_BUILDING,
    AgingGroup.UNIT: sql.AGING_BY_UNIT,
    AgingGroup.TOTAL: sql.AGING_TOTAL,
}


def _like(search: str | None) -> str:
    if not search:
        return ""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _figures(r: Any) -> AgingFigures:
    return AgingFigures(
        exact(Decimal(r["current"] or 0)),
        exact(Decimal(r["days_1_30"] or 0)),
        exact(Decimal(r["days_31_60"] or 0)),
        exact(Decimal(r["days_61_90"] or 0)),
        exact(Decimal(r["over_90"] or 0)),
        int(r["charges"]),
    )


class ReceivablesReads(ReadRepository):
    async def counterparties_page(
        self, filters: CounterpartyFilters, *, limit: int
    ) -> list[Counterparty]:
        after_name, after_id = filters.after or ("", UUID(int=0))
        rows = await self.fetch(
            sql.COUNTERPARTIES_PAGE,
            org_id=self.org_id,
            kind=filters.kind or "",
            pattern=_like(filters.search),
            archived=filters.include_archived,
            after_name=after_name,
            after_id=after_id,
            limit=limit,
        )
        return [counterparty_of(self.org_id, r) for r in rows]

    async def counterparties_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Counterparty]:
        rows = await self.fetch(sql.COUNTERPARTIES_BY_IDS, org_id=self.org_id, ids=list(ids))
        return {r["id"]: counterparty_of(self.org_id, r) for r in rows}

    async def positions(self, ids: Sequence[UUID], as_of: date) -> dict[UUID, Position]:
        rows = await self.fetch(sql.POSITIONS, org_id=self.org_id, ids=list(set(ids)), as_of=as_of)
        return {
            r["counterparty_id"]: Position(
                exact(Decimal(r["balance"])), exact(Decimal(r["credit"]))
            )
            for r in rows
        }

    async def charges_page(self, filters: ChargeFilters, *, limit: int) -> list[Charge]:
        after_due, after_id = filters.after or (_LAST, _MAX_UUID)
        rows = await self.fetch(
            sql.CHARGES_PAGE,
            org_id=self.org_id,
            counterparty_id=filters.counterparty_id,
            lease_id=filters.lease_id,
            kind=filters.kind or "",
            status=filters.status or "",
            due_from=filters.due_from or _FIRST,
            due_to=filters.due_to or _LAST,
            building=filters.building or "",
            after_due=after_due,
            after_id=after_id,
            limit=limit,
        )
        return [charge_of(self.org_id, r) for r in rows]

    async def charges_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Charge]:
        rows = await self.fetch(sql.CHARGES_BY_IDS, org_id=self.org_id, ids=list(ids))
        return {r["id"]: charge_of(self.org_id, r) for r in rows}

    async def payments_page(self, filters: PaymentFilters, *, limit: int) -> list[Payment]:
        after_day, after_id = filters.after or (_LAST, _MAX_UUID)
        rows = await self.fetch(
            sql.PAYMENTS_PAGE,
            org_id=self.org_id,
            counterparty_id=filters.counterparty_id,
            status=filters.status or "",
            from_day=filters.from_day or _FIRST,
            to_day=filters.to_day or _LAST,
            after_day=after_day,
            after_id=after_id,
            limit=limit,
        )
        return [payment_of(self.org_id, r) for r in rows]

    async def payments_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Payment]:
        rows = await self.fetch(sql.PAYMENTS_BY_IDS, org_id=self.org_id, ids=list(ids))
        return {r["id"]: payment_of(self.org_id, r) for r in rows}

    async def allocations_of_charges(self, ids: Sequence[UUID]) -> list[Allocation]:
        rows = await self.fetch(sql.ALLOCATIONS_OF_CHARGES, org_id=self.org_id, ids=list(ids))
        return [allocation_of(self.org_id, r) for r in rows]

    async def allocations_of_payments(self, ids: Sequence[UUID]) -> list[Allocation]:
        rows = await self.fetch(sql.ALLOCATIONS_OF_PAYMENTS, org_id=self.org_id, ids=list(ids))
        return [allocation_of(self.org_id, r) for r in rows]

    async def aging(
        self, as_of: date, group: str
    ) -> tuple[list[tuple[str, AgingRow]], dict[str, AgingFigures]]:
        """Rows (currency, row) per group key, and the totals per currency."""
        rows = await self.fetch(_AGING[group], org_id=self.org_id, as_of=as_of)
        out: list[tuple[str, AgingRow]] = []
        totals: dict[str, AgingFigures] = {}
        for r in rows:
            currency = r["currency"].strip()
            figures = _figures(r)
            out.append((currency, AgingRow(r["key"], r["label"] or "", figures)))
            totals.setdefault(currency, AgingFigures()).merge(figures)
        return out, totals

    async def opening(self, counterparty_id: UUID, from_day: date) -> Decimal:
        found = await self.fetchval(
            sql.OPENING, org_id=self.org_id, counterparty_id=counterparty_id, from_day=from_day
        )
        return exact(Decimal(found or 0))

    async def movements(
        self, counterparty_id: UUID, from_day: date, to_day: date
    ) -> list[Movement]:
        rows = await self.fetch(
            sql.MOVEMENTS,
            org_id=self.org_id,
            counterparty_id=counterparty_id,
            from_day=from_day,
            to_day=to_day,
        )
        return [
            Movement(
                r["day"],
                StatementLineKind(r["kind"]),
                r["id"],
                r["description"],
                r["reference"],
                Decimal(r["amount"]),
                r["due_on"],
            )
            for r in rows
        ]

    async def snapshots(
        self, from_day: date, to_day: date
    ) -> list[tuple[date, str, AgingFigures, int]]:
        """Stored month-end agings summed per day and currency."""
        rows = await self.fetch(sql.SNAPSHOTS, org_id=self.org_id, from_day=from_day, to_day=to_day)
        return [
            (r["as_of"], r["currency"].strip(), _figures(r), int(r["counterparties"])) for r in rows
        ]

    def integrity(self) -> IntegrityReads:
        return IntegrityReads(self._connection, self._org_id)
