"""Replaying a portfolio's transactions into its books (lots, gains, income, cash).

Money (base currency unless named ``local``), each figure rounded once, half-even to
``AMOUNT_SCALE`` places, where it arises; from there on arithmetic is additive and exact:
- DEPOSIT / WITHDRAWAL: ``cash ±= amount * fx``; ``net_invested`` likewise.
- BUY: ``cost_local = q * price + fee``; ``cost_basis = (q * price + fee) * fx``;
  ``cash -= cost_basis``. The fee is part of the lot's cost.
- SELL: ``proceeds = q * price * fx``; ``fee = fee * fx``; ``cash += proceeds - fee``;
  ``gain = proceeds - fee - cost of the consumed lots``.
- DIVIDEND: cash ``cash += amount * fx`` (income); reinvested (quantity and price) records
  the income ``q * price * fx`` AND a new lot costing ``(q * price + fee) * fx``: cash moves
  only by the fee.
- INTEREST: ``cash += amount * fx`` (income). FEE: ``cash -= amount * fx``.
- Any other row's ``fee`` is paid from cash and counted in ``fees``; an income row's fee
  (a withholding) does not reduce the income recorded, which is gross.
- SPLIT: every open lot's quantity times ``ratio`` (rounded to ``QUANTITY_SCALE``), cost
  unchanged; a split of an instrument not held changes nothing.
- TRANSFER_IN: lots from ``transferred_lots`` with their own dates and cost;
  ``net_invested += their cost``. TRANSFER_OUT: lots consumed as a SELL would (by the
  method, or named under SPECIFIC), no gain; ``closed_lots_for[tx.id]`` lists them;
  ``net_invested -= their cost``.

Rules (``PortfolioRuleViolation`` on the first row breaking one, naming its field): a
malformed row (``validate_shape``), selling or transferring more than is held
(INSUFFICIENT_QUANTITY), cash below zero when margin is not allowed (INSUFFICIENT_CASH),
a named lot that is not open for that instrument (LOT_NOT_OPEN), lots named under a
method other than SPECIFIC (INVALID) or missing under SPECIFIC (REQUIRED), a trade in
another currency than the instrument's earlier rows (CURRENCY_MISMATCH), a split leaving a
lot with fewer than 1e-10 units (INVALID ratio).

Term: LONG when the sale date is after the first anniversary of the acquisition (a lot
bought on 29 February has its anniversary on 28 February).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from uuid import UUID

from fiscus.domain.errors import ErrorCode
from fiscus.domain.portfolios.disposals import Disposals, realized_rows
from fiscus.domain.portfolios.kinds import (
    AVERAGE,
    BUY,
    DEPOSIT,
    DIVIDEND,
    FEE,
    HIFO,
    INTEREST,
    SELL,
    SPECIFIC,
    SPLIT,
    TRANSFER_IN,
    WITHDRAWAL,
)
from fiscus.domain.portfolios.lots import ZERO, LotBook, OpenLot, money
from fiscus.domain.portfolios.model import (
    Books,
    ConsumedLot,
    CostBasisMethod,
    IncomeItem,
    Lot,
    Position,
    RealizedGain,
    Transaction,
)
from fiscus.domain.portfolios.rules import PortfolioRuleViolation, term_of
from fiscus.domain.portfolios.shape import validate_shape

__all__ = [
    "EXACT",
    "BookKeeper",
    "PortfolioRuleViolation",
    "in_order",
    "open_lots",
    "replay",
    "term_of",
]

EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN)
"""Arithmetic context of the engine: wide enough that ``q * price * fx`` is exact."""


class BookKeeper(Disposals):
    """The books while a replay runs; ``apply`` one row at a time, in ``(date, seq)`` order.
    Running totals (``cash``, ``fees``, ``income_total``, ``deposits``, ``withdrawals``)
    let the valuation read each day's movements. Call inside ``localcontext(EXACT)``."""

    def __init__(self, method: CostBasisMethod, *, allow_margin: bool) -> None:
        self.method = CostBasisMethod(method)
        self.allow_margin = allow_margin
        self.cash = ZERO
        self.fees = ZERO
        self.income_total = ZERO
        self.deposits = ZERO
        self.withdrawals = ZERO
        self.net_invested = ZERO
        self.instruments: dict[int, LotBook] = {}
        """By ``instrument_id.int`` (a UUID's own hash is computed in Python: slow)."""
        self.lot_index: dict[str, tuple[LotBook, OpenLot]] = {}
        """Open lots by id, kept under SPECIFIC only (the one method that names them)."""
        self._named = self.method is SPECIFIC
        self.realized: list[RealizedGain] = []
        self.income: list[IncomeItem] = []
        self.closed_lots_for: dict[UUID, Sequence[ConsumedLot]] = {}
        self._order = 0
        self._tx: Transaction | None = None
        self._index: int | None = None

    def fail(self, code: ErrorCode, field: str, message: str) -> PortfolioRuleViolation:
        assert self._tx is not None
        return PortfolioRuleViolation(code, message, field, self._tx.id, self._index)

    def apply(self, tx: Transaction, index: int | None = None) -> None:
        self._tx, self._index = tx, index
        issues = validate_shape(tx)
        if issues:
            first = issues[0]
            raise self.fail(ErrorCode(first.code), first.field or "type", first.message)
        kind = tx.type
        if kind is BUY:
            self._buy(tx)
        elif kind is SELL:
            self._sell(tx)
        elif kind is DEPOSIT:
            value = money(tx.amount * tx.fx_rate)  # type: ignore[operator]
            self.cash += value
            self.deposits += value
            self.net_invested += value
            self._pay_fee(tx)
        elif kind is WITHDRAWAL:
            value = money(tx.amount * tx.fx_rate)  # type: ignore[operator]
            self.cash -= value
            self.withdrawals += value
            self.net_invested -= value
            self._pay_fee(tx)
        elif kind is DIVIDEND:
            self._dividend(tx)
        elif kind is INTEREST:
            self._earn(tx, money(tx.amount * tx.fx_rate), reinvested=False)  # type: ignore[operator]
            self._pay_fee(tx)
        elif kind is FEE:
            value = money(tx.amount * tx.fx_rate)  # type: ignore[operator]
            self.cash -= value
            self.fees += value
        elif kind is SPLIT:
            self._split(tx)
        elif kind is TRANSFER_IN:
            self._transfer_in(tx)
        else:
            self._transfer_out(tx)
        if self.cash < ZERO and not self.allow_margin:
            field = {BUY: "quantity", WITHDRAWAL: "amount", FEE: "amount"}
            raise self.fail(
                ErrorCode.INSUFFICIENT_CASH,
                field.get(kind, "fee"),
                f"The cash balance would fall to {self.cash} on {tx.date}; "
                "this portfolio does not allow margin.",
            )

    def _pay_fee(self, tx: Transaction) -> None:
        if tx.fee:
            fee = money(tx.fee * tx.fx_rate)
            self.cash -= fee
            self.fees += fee

    def _earn(self, tx: Transaction, value: Decimal, *, reinvested: bool) -> None:
        self.cash += value
        self.income_total += value
        self.income.append(IncomeItem(tx.id, tx.type, tx.date, tx.instrument_id, value, reinvested))

    def _book(self, tx: Transaction) -> LotBook:
        assert tx.instrument_id is not None
        key = tx.instrument_id.int
        book = self.instruments.get(key)
        if book is None:
            book = LotBook(tx.instrument_id, tx.currency, self.method is HIFO)
            self.instruments[key] = book
        elif book.currency != tx.currency:
            raise self.fail(
                ErrorCode.CURRENCY_MISMATCH,
                "currency",
                f"Earlier rows of this instrument are in {book.currency}, not {tx.currency}.",
            )
        return book

    def _open(
        self,
        book: LotBook,
        lot_id: str,
        acquired_on: date,
        quantity: Decimal,
        basis: Decimal,
        local: Decimal,
        tx: Transaction,
    ) -> None:
        self._order += 1
        lot = OpenLot(lot_id, acquired_on, quantity, basis, local, tx.id, self._order)
        book.add(lot)
        if self._named:
            self.lot_index[lot_id] = (book, lot)

    def _buy(self, tx: Transaction) -> None:
        book = self._book(tx)
        q, price = tx.quantity, tx.price
        assert q is not None and price is not None
        gross = q * price + tx.fee
        basis = money(gross * tx.fx_rate)
        self.cash -= basis
        self.fees += money(tx.fee * tx.fx_rate)
        self._open(book, str(tx.id), tx.date, q, basis, money(gross), tx)

    def _dividend(self, tx: Transaction) -> None:
        if tx.quantity is None:
            self._earn(tx, money(tx.amount * tx.fx_rate), reinvested=False)  # type: ignore[operator]
            self._pay_fee(tx)
            return
        book = self._book(tx)
        q, price = tx.quantity, tx.price
        assert price is not None
        self._earn(tx, money(q * price * tx.fx_rate), reinvested=True)
        gross = q * price + tx.fee
        basis = money(gross * tx.fx_rate)
        self.cash -= basis
        self.fees += money(tx.fee * tx.fx_rate)
        self._open(book, str(tx.id), tx.date, q, basis, money(gross), tx)

    def _split(self, tx: Transaction) -> None:
        assert tx.instrument_id is not None and tx.ratio is not None
        book = self.instruments.get(tx.instrument_id.int)
        if book is None or not book.quantity:
            return
        lost = book.split(tx.ratio)
        if lost is not None:
            raise self.fail(
                ErrorCode.INVALID,
                "ratio",
                f"The split would leave lot {lost.id} with no units.",
            )

    def _transfer_in(self, tx: Transaction) -> None:
        book = self._book(tx)
        for n, arriving in enumerate(tx.transferred_lots):
            basis, local = money(arriving.cost_basis), money(arriving.cost_local)
            self._open(
                book, f"{tx.id}:{n}", arriving.acquired_on, arriving.quantity, basis, local, tx
            )
            self.net_invested += basis
        self._pay_fee(tx)

    def _transfer_out(self, tx: Transaction) -> None:
        book = self._book(tx)
        quantity = tx.quantity
        if quantity is None:
            quantity = sum((pick.quantity for pick in tx.lots), ZERO)
        consumed = self._consume(book, tx, quantity)
        self.closed_lots_for[tx.id] = consumed
        self.net_invested -= sum((lot.cost_basis for lot in consumed), ZERO)
        self._pay_fee(tx)

    def _sell(self, tx: Transaction) -> None:
        book = self._book(tx)
        q, price = tx.quantity, tx.price
        assert q is not None and price is not None
        consumed = self._consume(book, tx, q)
        proceeds = money(q * price * tx.fx_rate)
        fee = money(tx.fee * tx.fx_rate)
        self.cash += proceeds - fee
        self.fees += fee
        self.realized.extend(realized_rows(tx, q, proceeds, fee, consumed))

    def book_of(self, instrument_id: UUID) -> LotBook | None:
        return self.instruments.get(instrument_id.int)

    def books(self) -> Books:
        average = self.method is AVERAGE
        positions = [
            Position(
                instrument_id=book.instrument_id,
                quantity=book.quantity,
                cost_basis=book.cost_basis,
                cost_local=book.cost_local,
                lots=tuple(book.frozen(average)),
            )
            for _, book in sorted(self.instruments.items())
            if book.quantity
        ]
        return Books(
            cash=self.cash,
            positions=positions,
            realized=tuple(self.realized),
            income=tuple(self.income),
            fees=self.fees,
            net_invested=self.net_invested,
            closed_lots_for=dict(self.closed_lots_for),
        )


def in_order(transactions: Sequence[Transaction]) -> list[tuple[int, Transaction]]:
    """(input index, row) sorted by ``(date, seq)``."""
    return sorted(enumerate(transactions), key=lambda row: (row[1].date, row[1].seq))


def replay(
    transactions: Sequence[Transaction],
    *,
    method: CostBasisMethod,
    allow_margin: bool = False,
    until: date | None = None,
) -> Books:
    """The books after every row dated on or before ``until`` (all rows when None)."""
    with localcontext(EXACT):
        keeper = BookKeeper(method, allow_margin=allow_margin)
        for index, tx in in_order(transactions):
            if until is not None and tx.date > until:
                break
            keeper.apply(tx, index)
        return keeper.books()


def open_lots(books: Books, instrument_id: UUID | None = None) -> list[Lot]:
    return [
        lot
        for position in books.positions
        if instrument_id is None or position.instrument_id == instrument_id
        for lot in position.lots
    ]
