"""The receivables DataLoaders of one request (``loaders.receivables``): one statement per
batch whatever the number of rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from strawberry.dataloader import DataLoader

from fiscus.domain.receivables import Allocation, Charge, Counterparty, Payment
from fiscus.services.receivables import queries
from fiscus.services.receivables.queries import Position

_NOTHING = Position(Decimal("0.0000"), Decimal("0.0000"))


class ReceivablesLoaders:
    def __init__(self, context: Any) -> None:
        self._context = context
        self.counterparties: DataLoader[UUID, Counterparty | None] = DataLoader(
            self._counterparties
        )
        self.charges: DataLoader[UUID, Charge | None] = DataLoader(self._charges)
        self.payments: DataLoader[UUID, Payment | None] = DataLoader(self._payments)
        self.charge_allocations: DataLoader[UUID, list[Allocation]] = DataLoader(
            self._charge_allocations
        )
        self.payment_allocations: DataLoader[UUID, list[Allocation]] = DataLoader(
            self._payment_allocations
        )
        self.positions: DataLoader[tuple[UUID, date], Position] = DataLoader(self._positions)

    async def _counterparties(self, ids: Sequence[UUID]) -> list[Counterparty | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.counterparties_by_ids(self._context.ledger, principal, ids)
        return [found.get(i) for i in ids]

    async def _charges(self, ids: Sequence[UUID]) -> list[Charge | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.charges_by_ids(self._context.ledger, principal, ids)
        return [found.get(i) for i in ids]

    async def _payments(self, ids: Sequence[UUID]) -> list[Payment | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.payments_by_ids(self._context.ledger, principal, ids)
        return [found.get(i) for i in ids]

    async def _charge_allocations(self, ids: Sequence[UUID]) -> list[list[Allocation]]:
        principal = await self._context.principal()
        if principal is None:
            return [[] for _ in ids]
        found = await queries.allocations_of_charges(self._context.ledger, principal, ids)
        return [found.get(i, []) for i in ids]

    async def _payment_allocations(self, ids: Sequence[UUID]) -> list[list[Allocation]]:
        principal = await self._context.principal()
        if principal is None:
            return [[] for _ in ids]
        found = await queries.allocations_of_payments(self._context.ledger, principal, ids)
        return [found.get(i, []) for i in ids]

    async def _positions(self, keys: Sequence[tuple[UUID, date]]) -> list[Position]:
        """One statement per distinct day among the keys."""
        principal = await self._context.principal()
        if principal is None:
            return [_NOTHING] * len(keys)
        by_day: dict[date, dict[UUID, Position]] = {}
        for day in sorted({d for _, d in keys}):
            ids = [c for c, d in keys if d == day]
            by_day[day] = await queries.positions(self._context.ledger, principal, ids, day)
        return [by_day[day].get(c, _NOTHING) for c, day in keys]
