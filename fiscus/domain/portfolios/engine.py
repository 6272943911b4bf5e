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

from fiscus.domain.errors import ErrorCode, RuleViolation
from fiscus.domain.portfolios.lots import ZERO, LotBook, OpenLot, money, pooled
from fiscus.domain.portfolios.model import (
    Books,
    ConsumedLot,
    CostBasisMethod,
    IncomeItem,
    Lot,
    Position,
    RealizedGain,
    Term,
    Transaction,
    TransactionType,
)
from fiscus.domain.portfolios.shape import validate_shape

EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN)
"""Arithmetic context of the engine: wide enough that ``q * price * fx`` is exact."""
_T = TransactionType
_M = CostBasisMethod


class PortfolioRuleViolation(RuleViolation):
    """A row breaks a rule of the books. ``index`` is the row's position in the sequence
    given to ``replay`` (for ``transactions[index].field``); ``field`` is camelCase."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        field: str,
        transaction_id: UUID,
        index: int | None = None,
    ) -> None:
        super().__init__(code, message, field)
        self.code: ErrorCode = code
        self.field: str = field
        self.transaction_id = transaction_id
        self.index = index


def term_of(acquired_on: date, sold_on: date) -> Term:
    try:
        anniversary = acquired_on.replace(year=acquired_on.year + 1)
    except ValueError:  # 29 February
        anniversary = date(acquired_on.year + 1, 2, 28)
    return Term.LONG if sold_on > anniversary else Term.SHORT


class BookKeeper:
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
        self.instruments: dict[UUID, LotBook] = {}
        self.lot_index: dict[str, tuple[LotBook, OpenLot]] = {}
        self.realized: list[RealizedGain] = []
        self.income: list[IncomeItem] = []
        self.closed_lots_for: dict[UUID, Sequence[ConsumedLot]] = {}
        self._order = 0
        self._tx: Transaction | None = None
        self._index: int | None = None

    def _fail(self, code: ErrorCode, field: str, message: str) -> PortfolioRuleViolation:
        assert self._tx is not None
        return PortfolioRuleViolation(code, message, field, self._tx.id, self._index)

    def apply(self, tx: Transaction, index: int | None = None) -> None:
        self._tx, self._index = tx, index
        issues = validate_shape(tx)
        if issues:
            first = issues[0]
            raise self._fail(ErrorCode(first.code), first.field or "type", first.message)
        kind = tx.type
        if kind is _T.BUY:
            self._buy(tx)
        elif kind is _T.SELL:
            self._sell(tx)
        elif kind is _T.DEPOSIT:
            value = money(tx.amount * tx.fx_rate)  # type: ignore[operator]
            self.cash += value
            self.deposits += value
            self.net_invested += value
            self._pay_fee(tx)
        elif kind is _T.WITHDRAWAL:
            value = money(tx.amount * tx.fx_rate)  # type: ignore[operator]
            self.cash -= value
            self.withdrawals += value
            self.net_invested -= value
            self._pay_fee(tx)
        elif kind is _T.DIVIDEND:
            self._dividend(tx)
        elif kind is _T.INTEREST:
            self._earn(tx, money(tx.amount * tx.fx_rate), reinvested=False)  # type: ignore[operator]
            self._pay_fee(tx)
        elif kind is _T.FEE:
            value = money(tx.amount * tx.fx_rate)  # type: ignore[operator]
            self.cash -= value
            self.fees += value
        elif kind is _T.SPLIT:
            self._split(tx)
        elif kind is _T.TRANSFER_IN:
            self._transfer_in(tx)
        else:
            self._transfer_out(tx)
        if self.cash < ZERO and not self.allow_margin:
            field = {_T.BUY: "quantity", _T.WITHDRAWAL: "amount", _T.FEE: "amount"}
            raise self._fail(
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
        book = self.instruments.get(tx.instrument_id)
        if book is None:
            book = LotBook(tx.instrument_id, tx.currency, self.method is _M.HIFO)
            self.instruments[tx.instrument_id] = book
        elif book.currency != tx.currency:
            raise self._fail(
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
        book = self.instruments.get(tx.instrument_id)
        if book is None or not book.quantity:
            return
        lost = book.split(tx.ratio)
        if lost is not None:
            raise self._fail(
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
        assert tx.instrument_id is not None
        short = [lot for lot in consumed if term_of(lot.acquired_on, tx.date) is Term.SHORT]
        long = [lot for lot in consumed if term_of(lot.acquired_on, tx.date) is Term.LONG]
        parts = [(Term.SHORT, short), (Term.LONG, long)]
        parts = [(term, lots) for term, lots in parts if lots]
        quantities = [sum((lot.quantity for lot in lots), ZERO) for _, lots in parts]
        proceeds_parts = pooled(proceeds, q, quantities)
        fee_parts = pooled(fee, q, quantities)
        for (term, lots), quantity, part_proceeds, part_fee in zip(
            parts, quantities, proceeds_parts, fee_parts, strict=True
        ):
            cost = sum((lot.cost_basis for lot in lots), ZERO)
            self.realized.append(
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

    def _consume(self, book: LotBook, tx: Transaction, quantity: Decimal) -> list[ConsumedLot]:
        if self.method is _M.SPECIFIC:
            if not tx.lots:
                raise self._fail(
                    ErrorCode.REQUIRED, "lots", "Under SPECIFIC a disposal names its lots."
                )
            return self._consume_picks(book, tx)
        if tx.lots:
            raise self._fail(
                ErrorCode.INVALID,
                "lots",
                f"This portfolio uses {self.method.value}; lots are named only under SPECIFIC.",
            )
        if quantity > book.quantity:
            raise self._fail(
                ErrorCode.INSUFFICIENT_QUANTITY,
                "quantity",
                f"{quantity} units leave but {book.quantity} are held on {tx.date}.",
            )
        if self.method is _M.AVERAGE:
            return self._consume_average(book, quantity)
        pick = {_M.FIFO: book.oldest, _M.LIFO: book.newest, _M.HIFO: book.costliest}[self.method]
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
                del self.lot_index[lot.id]
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
                raise self._fail(
                    ErrorCode.LOT_NOT_OPEN,
                    f"lots[{n}].lotId",
                    f"{pick.lot_id} is not an open lot of this instrument on {tx.date}.",
                )
            lot = entry[1]
            if pick.quantity > lot.quantity:
                raise self._fail(
                    ErrorCode.INSUFFICIENT_QUANTITY,
                    f"lots[{n}].quantity",
                    f"Lot {lot.id} holds {lot.quantity} units, not {pick.quantity}.",
                )
            consumed.append(self._take(book, lot, pick.quantity))
            book.quantity -= pick.quantity
        return consumed

    def books(self) -> Books:
        average = self.method is _M.AVERAGE
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
