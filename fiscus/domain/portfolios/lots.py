"""The open lots of one instrument while a replay runs (mutable, internal to the engine).

Lots are kept in acquisition order ``(acquired_on, recording order)``; a fully consumed
lot is marked dead (quantity 0) and compacted away later, so FIFO and LIFO consume in
O(1) amortized and HIFO pops a heap keyed by the per-unit cost at acquisition (fee
included), restated per post-split unit when a split comes.

Proration: taking ``q`` of a lot of ``Q`` units costing ``C`` takes
``round(C * q / Q, 4)`` and leaves the rest on the lot; taking the last unit takes the
residue, so taken + left always equals the original cost to the last digit.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from fiscus.domain.portfolios.model import AMOUNT_SCALE, QUANTITY_SCALE, Lot

ZERO = Decimal(0)
CENT = Decimal(1).scaleb(-AMOUNT_SCALE)
UNIT = Decimal(1).scaleb(-QUANTITY_SCALE)
_COMPACT_AFTER = 32


def money(value: Decimal) -> Decimal:
    """Half-even to ``AMOUNT_SCALE`` places: how every money figure enters the books."""
    return value.quantize(CENT, ROUND_HALF_EVEN)


def units(value: Decimal) -> Decimal:
    return value.quantize(UNIT, ROUND_HALF_EVEN)


class OpenLot:
    __slots__ = (
        "acquired_on",
        "cost_basis",
        "cost_local",
        "id",
        "opened_by",
        "order",
        "quantity",
    )

    def __init__(
        self,
        id: str,
        acquired_on: date,
        quantity: Decimal,
        cost_basis: Decimal,
        cost_local: Decimal,
        opened_by: UUID,
        order: int,
    ) -> None:
        self.id = id
        self.acquired_on = acquired_on
        self.quantity = quantity
        self.cost_basis = cost_basis
        self.cost_local = cost_local
        self.opened_by = opened_by
        self.order = order

    def take(self, quantity: Decimal) -> tuple[Decimal, Decimal]:
        """Removes ``quantity`` units; their (cost_basis, cost_local), prorated."""
        if quantity == self.quantity:
            taken = (self.cost_basis, self.cost_local)
            self.quantity = self.cost_basis = self.cost_local = ZERO
            return taken
        basis = money(self.cost_basis * quantity / self.quantity)
        local = money(self.cost_local * quantity / self.quantity)
        self.quantity -= quantity
        self.cost_basis -= basis
        self.cost_local -= local
        return basis, local

    def frozen(self, instrument_id: UUID, basis: Decimal, local: Decimal) -> Lot:
        return Lot(
            id=self.id,
            instrument_id=instrument_id,
            acquired_on=self.acquired_on,
            quantity=self.quantity,
            cost_basis=basis,
            cost_local=local,
            opened_by=self.opened_by,
        )


class LotBook:
    """One instrument's lots and totals. ``quantity``/``cost_*`` are authoritative; under
    AVERAGE the lots' own costs go stale and are pooled when the books are frozen."""

    __slots__ = (
        "cost_basis",
        "cost_local",
        "currency",
        "dead",
        "head",
        "heap",
        "instrument_id",
        "lots",
        "quantity",
    )

    def __init__(self, instrument_id: UUID, currency: str, hifo: bool) -> None:
        self.instrument_id = instrument_id
        self.currency = currency
        self.lots: list[OpenLot] = []
        self.head = 0
        self.dead = 0
        self.heap: list[tuple[Decimal, date, int, OpenLot]] | None = [] if hifo else None
        self.quantity = ZERO
        self.cost_basis = ZERO
        self.cost_local = ZERO

    def add(self, lot: OpenLot) -> None:
        lots = self.lots
        at = len(lots)
        key = (lot.acquired_on, lot.order)
        while at > self.head and (lots[at - 1].acquired_on, lots[at - 1].order) > key:
            at -= 1
        lots.insert(at, lot)
        if self.heap is not None:
            # HIFO's rank: the cost per unit at acquisition, fee included.
            rank = -(lot.cost_basis / lot.quantity)
            heapq.heappush(self.heap, (rank, lot.acquired_on, lot.order, lot))
        self.quantity += lot.quantity
        self.cost_basis += lot.cost_basis
        self.cost_local += lot.cost_local

    def live(self) -> Iterator[OpenLot]:
        for n in range(self.head, len(self.lots)):
            lot = self.lots[n]
            if lot.quantity:
                yield lot

    def oldest(self) -> OpenLot:
        lots = self.lots
        while not lots[self.head].quantity:
            self.head += 1
            self.dead -= 1
        return lots[self.head]

    def newest(self) -> OpenLot:
        lots = self.lots
        while not lots[-1].quantity:
            lots.pop()
            self.dead -= 1
        return lots[-1]

    def costliest(self) -> OpenLot:
        assert self.heap is not None
        heap = self.heap
        while not heap[0][3].quantity:
            heapq.heappop(heap)
        return heap[0][3]

    def emptied(self, lot: OpenLot) -> None:
        """``lot`` was just consumed entirely: count it and compact when dead lots pile up."""
        self.dead += 1
        if self.dead > _COMPACT_AFTER and self.dead * 2 > len(self.lots) - self.head:
            self.lots = [lot for lot in self.lots[self.head :] if lot.quantity]
            self.head = 0
            self.dead = 0
            if self.heap is not None:
                self.heap = [entry for entry in self.heap if entry[3].quantity]
                heapq.heapify(self.heap)

    def split(self, ratio: Decimal) -> OpenLot | None:
        """Scales every lot; returns a lot that would round to no units (the caller refuses)."""
        total = ZERO
        for lot in self.live():
            scaled = units(lot.quantity * ratio)
            if not scaled:
                return lot
            lot.quantity = scaled
            total += scaled
        self.quantity = total
        if self.heap is not None:
            # Ranks are per unit: in post-split units, so later lots compare with them.
            # (Dividing by a positive ratio keeps their order, hence the heap.)
            self.heap = [(rank / ratio, *rest) for rank, *rest in self.heap]  # type: ignore[misc]
        return None

    def frozen(self, average: bool) -> list[Lot]:
        lots = list(self.live())
        if not average:
            return [lot.frozen(self.instrument_id, lot.cost_basis, lot.cost_local) for lot in lots]
        basis = pooled(self.cost_basis, self.quantity, [lot.quantity for lot in lots])
        local = pooled(self.cost_local, self.quantity, [lot.quantity for lot in lots])
        return [
            lot.frozen(self.instrument_id, b, c)
            for lot, b, c in zip(lots, basis, local, strict=True)
        ]


def pooled(total: Decimal, quantity: Decimal, parts: list[Decimal]) -> list[Decimal]:
    """``total`` shared over ``parts`` (which sum to ``quantity``) pro rata; the last part
    takes the residue so the shares sum to ``total`` exactly."""
    shares: list[Decimal] = []
    left = total
    for part in parts[:-1]:
        share = money(total * part / quantity)
        shares.append(share)
        left -= share
    if parts:
        shares.append(left)
    return shares
