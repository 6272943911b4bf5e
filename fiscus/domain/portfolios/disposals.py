"""Disposals (SELL, TRANSFER_OUT): which lots leave, at what cost, and the realized rows.

Methods: FIFO oldest lot first, LIFO newest first, HIFO highest cost per unit first (fee
included; ties oldest first), AVERAGE at the moving average cost with units leaving oldest
first, SPECIFIC the named lots (partly allowed).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from fiscus.domain.errors import ErrorCode
from fiscus.domain.portfolios.kinds import AVERAGE, FIFO, LIFO, LONG, SHORT, SPECIFIC
from fiscus.domain.portfolios.lots import ZERO, LotBook, OpenLot, money, pooled
from fiscus.domain.portfolios.model import (
    ConsumedLot,
    CostBasisMethod,
    RealizedGain,
    Transaction,
)
from fiscus.domain.portfolios.rules import PortfolioRuleViolation, term_of


class Disposals:
    """Consuming lots; mixed into ``engine.BookKeeper`` (which sets these attributes)."""

    method: CostBasisMethod
    lot_index: dict[str, tuple[LotBook, OpenLot]]
    _named: bool
    fail: Callable[[ErrorCode, str, str], PortfolioRuleViolation]

    def _consume(self, book: LotBook, tx: Transaction, quantity: Decimal) -> list[ConsumedLot]:
        if self.method is SPECIFIC:
            if not tx.lots:
                raise self.fail(
                    ErrorCode.REQUIRED, "lots", "Under SPECIFIC a disposal names its lots."
                )
            return self._consume_picks(book, tx)
        if tx.lots:
            raise self.fail(
                ErrorCode.INVALID,
                "lots",
                f"This portfolio uses {self.method.value}; lots are named only under SPECIFIC.",
            )
        if quantity > book.quantity:
            raise self.fail(
                ErrorCode.INSUFFICIENT_QUANTITY,
                "quantity",
                f"{quantity} units leave but {book.quantity} are held on {tx.date}.",
            )
        if self.method is AVERAGE:
            return self._consume_average(book, quantity)
        method = self.method
        pick = book.oldest if method is FIFO else book.newest if method is LIFO else book.costliest
        consumed: list[ConsumedLot] = []
        left = quantity
        while left:
            lot = pick()
            taken = lot.quantity if lot.quantity < left else left
            consumed.append(self._take(book, lot, taken))
            left -= taken
        book.quantity -= quantity
        return consumed

    def _take(self, book: LotBook, lot: OpenLot, quantity: Decimal) -> ConsumedLot:
        basis, local = lot.take(quantity)
        book.cost_basis -= basis
        book.cost_local -= local
        if not lot.quantity:
            book.emptied(lot)
            if self._named:
                del self.lot_index[lot.id]
        return ConsumedLot(lot.id, lot.acquired_on, quantity, basis, local)

    def _consume_average(self, book: LotBook, quantity: Decimal) -> list[ConsumedLot]:
        """Cost at the moving average ``C * q / Q`` (all of it for the last unit); units
        leave oldest lot first, so each keeps its date for the holding period."""
        if quantity == book.quantity:
            basis, local = book.cost_basis, book.cost_local
        else:
            basis = money(book.cost_basis * quantity / book.quantity)
            local = money(book.cost_local * quantity / book.quantity)
        pieces: list[tuple[OpenLot, Decimal]] = []
        left = quantity
        while left:
            lot = book.oldest()
            taken = lot.quantity if lot.quantity < left else left
            lot.quantity -= taken  # the lot's own cost is stale under AVERAGE
            pieces.append((lot, taken))
            if not lot.quantity:
                book.emptied(lot)
            left -= taken
        book.quantity -= quantity
        book.cost_basis -= basis
        book.cost_local -= local
        sizes = [taken for _, taken in pieces]
        return [
            ConsumedLot(lot.id, lot.acquired_on, taken, b, c)
            for (lot, taken), b, c in zip(
                pieces, pooled(basis, quantity, sizes), pooled(local, quantity, sizes), strict=True
            )
        ]

    def _consume_picks(self, book: LotBook, tx: Transaction) -> list[ConsumedLot]:
        consumed: list[ConsumedLot] = []
        for n, pick in enumerate(tx.lots):
            entry = self.lot_index.get(pick.lot_id)
            if entry is None or entry[0] is not book:
                raise self.fail(
                    ErrorCode.LOT_NOT_OPEN,
                    f"lots[{n}].lotId",
                    f"{pick.lot_id} is not an open lot of this instrument on {tx.date}.",
                )
            lot = entry[1]
            if pick.quantity > lot.quantity:
                raise self.fail(
                    ErrorCode.INSUFFICIENT_QUANTITY,
                    f"lots[{n}].quantity",
                    f"Lot {lot.id} holds {lot.quantity} units, not {pick.quantity}.",
                )
            consumed.append(self._take(book, lot, pick.quantity))
            book.quantity -= pick.quantity
        return consumed


def realized_rows(
    tx: Transaction,
    q: Decimal,
    proceeds: Decimal,
    fee: Decimal,
    consumed: list[ConsumedLot],
) -> list[RealizedGain]:
    """One row per term: a sale mixing short and long lots shares its proceeds and fee
    between two rows pro rata by quantity (the second takes the residue)."""
    assert tx.instrument_id is not None
    rows: list[RealizedGain] = []
    short: list[ConsumedLot] = []
    long: list[ConsumedLot] = []
    for lot in consumed:
        (long if term_of(lot.acquired_on, tx.date) is LONG else short).append(lot)
    if not long or not short:
        parts = [(LONG if long else SHORT, consumed)]
        quantities = [q]
        proceeds_parts, fee_parts = [proceeds], [fee]
    else:
        parts = [(SHORT, short), (LONG, long)]
        quantities = [sum((lot.quantity for lot in lots), ZERO) for _, lots in parts]
        proceeds_parts = pooled(proceeds, q, quantities)
        fee_parts = pooled(fee, q, quantities)
    for (term, lots), quantity, part_proceeds, part_fee in zip(
        parts, quantities, proceeds_parts, fee_parts, strict=True
    ):
        cost = sum((lot.cost_basis for lot in lots), ZERO)
        rows.append(
            RealizedGain(
                transaction_id=tx.id,
                instrument_id=tx.instrument_id,
                date=tx.date,
                quantity=quantity,
                proceeds=part_proceeds,
                fee=part_fee,
                cost_basis=cost,
                gain=part_proceeds - part_fee - cost,
                term=term,
                lots=tuple(lots),
            )
        )
    return rows
