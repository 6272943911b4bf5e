"""Replaying transactions into books: hand-worked numbers for every cost method, splits,
dividends, transfers, partial and specific sells, multi-currency, and the typed errors."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from fiscus.domain.errors import ErrorCode
from fiscus.domain.portfolios.engine import PortfolioRuleViolation, open_lots, replay
from fiscus.domain.portfolios.model import (
    Books,
    CostBasisMethod,
    Term,
    TransferredLot,
)
from tests.domain.portfolio_rows import D, Rows, day

M = CostBasisMethod
AAA = uuid.UUID(int=1)
BBB = uuid.UUID(int=2)


def two_buys() -> Rows:
    rows = Rows()
    rows.deposit("2023-01-01", "10000")
    rows.buy("2023-01-02", AAA, "10", "100", fee="5")  # lot 1: 1005
    rows.buy("2023-02-01", AAA, "10", "120", fee="5")  # lot 2: 1205
    return rows


def gains(books: Books) -> list[tuple[Term, Decimal, Decimal, Decimal, Decimal, Decimal]]:
    return [(g.term, g.quantity, g.proceeds, g.fee, g.cost_basis, g.gain) for g in books.realized]


def test_fifo_sells_the_oldest_lot_first_and_splits_the_sale_by_term() -> None:
    rows = two_buys()
    rows.sell("2024-01-15", AAA, "15", "130", fee="10")
    books = replay(rows.rows, method=M.FIFO)
    # Lot 1 (2023-01-02) is past its anniversary: LONG, all 1005. Lot 2 gives 5 of 10
    # units: 1205 * 5/10 = 602.5, SHORT. Proceeds 1950 and fee 10 shared 10:5.
    assert gains(books) == [
        (Term.SHORT, D(5), D("650.0000"), D("3.3333"), D("602.5000"), D("44.1667")),
        (Term.LONG, D(10), D("1300.0000"), D("6.6667"), D("1005.0000"), D("288.3333")),
    ]
    assert sum(g.gain for g in books.realized) == D("332.5")  # 1950 - 10 - 1607.5
    assert books.cash == D("9730")  # 10000 - 1005 - 1205 + 1950 - 10
    (lot,) = open_lots(books)
    assert (lot.quantity, lot.cost_basis, lot.acquired_on) == (D(5), D("602.5"), day("2023-02-01"))
    assert books.fees == D(20)
    assert books.realized[0].lots[0].lot_id == str(rows.rows[2].id)


def test_lifo_sells_the_newest_lot_first() -> None:
    rows = two_buys()
    rows.sell("2024-01-15", AAA, "15", "130", fee="10")
    books = replay(rows.rows, method=M.LIFO)
    assert gains(books) == [
        (Term.SHORT, D(10), D("1300.0000"), D("6.6667"), D("1205.0000"), D("88.3333")),
        (Term.LONG, D(5), D("650.0000"), D("3.3333"), D("502.5000"), D("144.1667")),
    ]
    (lot,) = open_lots(books)
    assert (lot.quantity, lot.cost_basis) == (D(5), D("502.5"))


def test_hifo_ranks_by_cost_per_unit_including_the_fee_and_ties_go_oldest_first() -> None:
    rows = Rows()
    rows.deposit("2023-01-01", "10000")
    a = rows.buy("2023-01-02", AAA, "10", "100", fee="5")  # 100.50 a unit
    b = rows.buy("2023-01-03", AAA, "10", "100", fee="15")  # 101.50: same price, higher fee
    c = rows.buy("2023-01-04", AAA, "10", "100", fee="15")  # 101.50: ties with b, younger
    d = rows.buy("2023-01-05", AAA, "10", "101")  # 101.00
    rows.sell("2023-06-01", AAA, "25", "110")
    books = replay(rows.rows, method=M.HIFO)
    (sale,) = books.realized
    assert [(lot.lot_id, lot.quantity, lot.cost_basis) for lot in sale.lots] == [
        (str(b.id), D(10), D(1015)),
        (str(c.id), D(10), D(1015)),
        (str(d.id), D(5), D(505)),
    ]
    assert (sale.proceeds, sale.cost_basis, sale.gain, sale.term) == (
        D(2750),
        D(2535),
        D(215),
        Term.SHORT,
    )
    assert [(lot.id, lot.quantity) for lot in open_lots(books)] == [
        (str(a.id), D(10)),
        (str(d.id), D(5)),
    ]


def test_average_cost_is_a_moving_average_and_lots_still_leave_oldest_first() -> None:
    rows = Rows()
    rows.deposit("2023-01-01", "10000")
    rows.buy("2023-01-02", AAA, "10", "100")  # 1000
    rows.buy("2023-03-01", AAA, "10", "130")  # 1300: 20 units at 115
    rows.sell("2024-01-10", AAA, "5", "150")  # cost 5 * 115 = 575, from lot 1: LONG
    rows.buy("2024-01-11", AAA, "5", "125")  # 15 at 1725 + 625 = 20 units at 117.5
    rows.sell("2024-02-15", AAA, "10", "120")  # cost 1175: 5 of lot 1 (LONG), 5 of lot 2
    books = replay(rows.rows, method=M.AVERAGE)
    assert gains(books) == [
        (Term.LONG, D(5), D(750), D(0), D("575.0000"), D("175.0000")),
        (Term.SHORT, D(5), D(600), D(0), D("587.5000"), D("12.5000")),
        (Term.LONG, D(5), D(600), D(0), D("587.5000"), D("12.5000")),
    ]
    (position,) = books.positions
    assert (position.quantity, position.cost_basis, position.average_cost) == (
        D(10),
        D(1175),
        D("117.5"),
    )
    lots = open_lots(books)
    assert [(lot.acquired_on, lot.quantity, lot.cost_basis) for lot in lots] == [
        (day("2023-03-01"), D(5), D("587.5000")),
        (day("2024-01-11"), D(5), D("587.5000")),
    ]


def test_specific_sells_the_named_lots_partly() -> None:
    rows = Rows()
    rows.deposit("2023-01-01", "10000")
    one = rows.buy("2023-01-02", AAA, "10", "100")  # 1000
    two = rows.buy("2023-01-03", AAA, "10", "110", fee="1")  # 1101
    rows.sell("2023-01-10", AAA, "6", "120", fee="3", lots=[(str(two.id), "4"), (str(one.id), "2")])
    books = replay(rows.rows, method=M.SPECIFIC)
    (sale,) = books.realized
    # 1101 * 4/10 = 440.4 and 1000 * 2/10 = 200; 720 - 3 - 640.4 = 76.6.
    assert [(lot.lot_id, lot.cost_basis) for lot in sale.lots] == [
        (str(two.id), D("440.4000")),
        (str(one.id), D("200.0000")),
    ]
    assert (sale.cost_basis, sale.gain) == (D("640.4"), D("76.6"))
    assert [(lot.id, lot.quantity, lot.cost_basis) for lot in open_lots(books)] == [
        (str(one.id), D(8), D(800)),
        (str(two.id), D(6), D("660.6")),
    ]


def test_a_lot_consumed_in_parts_gives_its_cost_exactly_the_last_part_taking_the_residue() -> None:
    rows = Rows()
    rows.deposit("2023-01-01", "1000")
    rows.buy("2023-01-02", AAA, "3", "100", fee="1")  # 301
    for _ in range(3):
        rows.sell("2023-02-01", AAA, "1", "100")
    books = replay(rows.rows, method=M.FIFO)
    # 301/3 = 100.3333; then 200.6667/2 = 100.33335 -> 100.3334 (half-even); then 100.3333.
    assert [g.cost_basis for g in books.realized] == [
        D("100.3333"),
        D("100.3334"),
        D("100.3333"),
    ]
    assert sum(g.cost_basis for g in books.realized) == D(301)
    assert books.positions == []


def test_a_3_for_2_split_scales_fractional_lots_and_keeps_their_cost() -> None:
    rows = Rows()
    rows.deposit("2023-01-01", "1000")
    rows.buy("2023-01-02", AAA, "3", "100")  # 300
    rows.buy("2023-01-03", AAA, "1", "90")  # 90
    rows.split("2023-02-01", AAA, "1.5")  # 4.5 units (300) and 1.5 units (90)
    rows.sell("2023-03-01", AAA, "5", "70")  # 4.5 (300) + 0.5 of 1.5 (30)
    books = replay(rows.rows, method=M.FIFO)
    (sale,) = books.realized
    assert [(lot.quantity, lot.cost_basis) for lot in sale.lots] == [
        (D("4.5"), D(300)),
        (D("0.5"), D(30)),
    ]
    assert (sale.cost_basis, sale.gain) == (D(330), D(20))
    (lot,) = open_lots(books)
    assert (lot.quantity, lot.cost_basis, lot.acquired_on) == (D(1), D(60), day("2023-01-03"))


def test_a_reverse_split_keeps_acquisition_dates() -> None:
    rows = Rows()
    rows.deposit("2023-01-01", "1000")
    rows.buy("2023-01-02", AAA, "10", "10")
    rows.split("2023-06-01", AAA, "0.25")
    rows.sell("2024-06-01", AAA, "2.5", "50")
    books = replay(rows.rows, method=M.FIFO)
    (sale,) = books.realized
    assert (sale.quantity, sale.cost_basis, sale.gain, sale.term) == (
        D("2.5"),
        D(100),
        D(25),
        Term.LONG,
    )


def test_cash_and_reinvested_dividends_are_income_and_a_reinvestment_opens_a_lot() -> None:
    rows = Rows()
    rows.deposit("2023-01-01", "1000")
    rows.buy("2023-01-02", AAA, "5", "100")
    rows.dividend("2023-03-01", AAA, "25", fee="3.75")  # 15 % withheld
    reinvested = rows.reinvest("2023-06-01", AAA, "0.2", "125")  # 25 buys 0.2 units
    rows.interest("2023-06-30", "1.5")
    books = replay(rows.rows, method=M.FIFO)
    assert [(i.type, i.amount, i.reinvested) for i in books.income] == [
        ("DIVIDEND", D(25), False),
        ("DIVIDEND", D(25), True),
        ("INTEREST", D("1.5"), False),
    ]
    assert books.cash == D("522.75")  # 1000 - 500 + 25 - 3.75 + 1.5
    assert books.fees == D("3.75")
    (position,) = books.positions
    assert (position.quantity, position.cost_basis) == (D("5.2"), D(525))
    assert open_lots(books)[-1].id == str(reinvested.id)


def test_a_transfer_moves_lots_at_cost_and_the_receiver_keeps_their_dates() -> None:
    sender = two_buys()
    out = sender.transfer_out("2023-06-01", AAA, "12")
    sent = replay(sender.rows, method=M.FIFO)
    moved = sent.closed_lots_for[out.id]
    # 10 of lot 1 (1005) and 2 of lot 2 (1205 * 2/10 = 241).
    assert [(lot.quantity, lot.cost_basis, lot.acquired_on) for lot in moved] == [
        (D(10), D(1005), day("2023-01-02")),
        (D(2), D(241), day("2023-02-01")),
    ]
    assert sent.realized == ()
    assert sent.net_invested == D(10000 - 1246)
    assert sent.cash == D(10000 - 1005 - 1205)

    receiver = Rows()
    arriving = receiver.transfer_in(
        "2023-06-01",
        AAA,
        [
            TransferredLot(lot.acquired_on, lot.quantity, lot.cost_basis, lot.cost_local)
            for lot in moved
        ],
    )
    receiver.sell("2024-01-20", AAA, "11", "130")
    books = replay(receiver.rows, method=M.FIFO)
    assert books.net_invested == D(1246)
    assert [(g.term, g.quantity, g.cost_basis, g.gain) for g in books.realized] == [
        (Term.SHORT, D(1), D("120.5"), D("9.5")),
        (Term.LONG, D(10), D(1005), D(295)),
    ]
    (lot,) = open_lots(books)
    assert lot.id == f"{arriving.id}:1" and lot.quantity == D(1)


def test_a_foreign_instrument_is_booked_at_each_days_rate() -> None:
    rows = Rows(currency="EUR")
    rows.deposit("2023-01-01", "2000")
    rows.buy("2023-01-02", AAA, "10", "100", fee="1", currency="USD", fx_rate=D("0.9"))
    rows.sell("2023-02-01", AAA, "10", "110", fee="1", currency="USD", fx_rate=D("0.8"))
    books = replay(rows.rows, method=M.FIFO)
    (sale,) = books.realized
    # Cost 1001 USD * 0.9 = 900.9 EUR; proceeds 1100 * 0.8 = 880, fee 0.8 EUR: a loss in
    # euros although the price rose in dollars.
    assert (sale.proceeds, sale.fee, sale.cost_basis, sale.gain) == (
        D(880),
        D("0.8"),
        D("900.9"),
        D("-21.7"),
    )
    assert sale.lots[0].cost_local == D(1001)
    assert books.cash == D("2000") - D("900.9") + D("879.2")


def test_rows_replay_in_date_then_seq_order_and_until_stops_early() -> None:
    rows = Rows()
    sell = rows.sell("2023-01-05", AAA, "1", "100")
    rows.buy("2023-01-02", AAA, "2", "50")
    rows.deposit("2023-01-01", "100")
    assert replay(rows.rows, method=M.FIFO).cash == D(100)  # 100 - 2 * 50 + 100
    early = replay(rows.rows, method=M.FIFO, until=day("2023-01-04"))
    assert early.cash == D(0) and early.realized == ()
    assert sell.seq == 1
    same_day = Rows()
    same_day.deposit("2023-01-01", "100")
    sell = same_day.sell("2023-01-02", AAA, "1", "50")  # recorded before the buy
    same_day.buy("2023-01-02", AAA, "1", "50")
    assert violation(same_day).transaction_id == sell.id


def test_positions_are_sorted_and_closed_ones_left_out() -> None:
    rows = Rows()
    rows.deposit("2023-01-01", "1000")
    rows.buy("2023-01-02", BBB, "1", "10")
    rows.buy("2023-01-02", AAA, "1", "10")
    rows.buy("2023-01-02", uuid.UUID(int=3), "1", "10")
    rows.sell("2023-01-03", uuid.UUID(int=3), "1", "10")
    books = replay(rows.rows, method=M.FIFO)
    assert [p.instrument_id for p in books.positions] == [AAA, BBB]


def violation(rows: Rows, method: M = M.FIFO, allow_margin: bool = False) -> PortfolioRuleViolation:
    with pytest.raises(PortfolioRuleViolation) as caught:
        replay(list(reversed(rows.rows)), method=method, allow_margin=allow_margin)
    return caught.value


def test_selling_more_than_is_held_names_the_row_and_field() -> None:
    rows = two_buys()
    sell = rows.sell("2023-03-01", AAA, "20.5", "130")
    error = violation(rows)
    assert (error.code, error.field, error.transaction_id) == (
        ErrorCode.INSUFFICIENT_QUANTITY,
        "quantity",
        sell.id,
    )
    assert error.index == 0  # its position in the sequence given (reversed here)


def test_cash_below_zero_is_refused_unless_margin_is_allowed() -> None:
    rows = Rows()
    rows.deposit("2023-01-01", "100")
    buy = rows.buy("2023-01-02", AAA, "1", "100", fee="0.01")
    error = violation(rows)
    assert (error.code, error.field, error.transaction_id) == (
        ErrorCode.INSUFFICIENT_CASH,
        "quantity",
        buy.id,
    )
    assert replay(rows.rows, method=M.FIFO, allow_margin=True).cash == D("-0.01")
    rows.withdraw("2023-01-03", "1")
    assert violation(rows, allow_margin=False).field == "quantity"


def test_a_withdrawal_beyond_the_cash_names_amount() -> None:
    rows = Rows()
    rows.deposit("2023-01-01", "100")
    rows.withdraw("2023-01-02", "100.01")
    assert (violation(rows).code, violation(rows).field) == (ErrorCode.INSUFFICIENT_CASH, "amount")


def test_a_split_ratio_that_is_not_positive_is_a_typed_error() -> None:
    rows = two_buys()
    split = rows.split("2023-03-01", AAA, "0")
    error = violation(rows)
    assert (error.code, error.field, error.transaction_id) == (ErrorCode.INVALID, "ratio", split.id)


def test_naming_a_lot_that_is_not_open() -> None:
    rows = Rows()
    rows.deposit("2023-01-01", "10000")
    one = rows.buy("2023-01-02", AAA, "10", "100")
    other = rows.buy("2023-01-02", BBB, "10", "100")
    rows.sell("2023-01-03", AAA, "10", "100", lots=[(str(one.id), "10")])
    again = rows.sell("2023-01-04", AAA, "1", "100", lots=[(str(one.id), "1")])
    error = violation(rows, M.SPECIFIC)
    assert (error.code, error.field, error.transaction_id) == (
        ErrorCode.LOT_NOT_OPEN,
        "lots[0].lotId",
        again.id,
    )

    rows = Rows()
    rows.deposit("2023-01-01", "10000")
    one = rows.buy("2023-01-02", AAA, "10", "100")
    other = rows.buy("2023-01-02", BBB, "10", "100")
    rows.sell("2023-01-03", AAA, "2", "100", lots=[(str(one.id), "1"), (str(other.id), "1")])
    assert violation(rows, M.SPECIFIC).field == "lots[1].lotId"


def test_naming_more_units_than_a_lot_holds() -> None:
    rows = Rows()
    rows.deposit("2023-01-01", "10000")
    one = rows.buy("2023-01-02", AAA, "10", "100")
    rows.sell("2023-01-03", AAA, "11", "100", lots=[(str(one.id), "11")])
    error = violation(rows, M.SPECIFIC)
    assert (error.code, error.field) == (ErrorCode.INSUFFICIENT_QUANTITY, "lots[0].quantity")


def test_lots_are_named_under_specific_only_and_always_under_it() -> None:
    rows = two_buys()
    rows.sell("2023-03-01", AAA, "1", "100")
    assert (violation(rows, M.SPECIFIC).code, violation(rows, M.SPECIFIC).field) == (
        ErrorCode.REQUIRED,
        "lots",
    )
    rows = two_buys()
    rows.sell("2023-03-01", AAA, "1", "100", lots=[(str(rows.rows[1].id), "1")])
    assert (violation(rows).code, violation(rows).field) == (ErrorCode.INVALID, "lots")


def test_an_instrument_keeps_the_currency_of_its_first_row() -> None:
    rows = two_buys()
    rows.buy("2023-03-01", AAA, "1", "100", currency="EUR", fx_rate=D("1.1"))
    error = violation(rows)
    assert (error.code, error.field) == (ErrorCode.CURRENCY_MISMATCH, "currency")


def test_a_malformed_row_is_refused_by_replay_too() -> None:
    rows = Rows()
    rows.deposit("2023-01-01", "100")
    rows.add(rows.rows[0].type.BUY, "2023-01-02", instrument_id=AAA, quantity=D(1))
    error = violation(rows)
    assert (error.code, error.field) == (ErrorCode.REQUIRED, "price")


def test_hifo_compares_lots_per_unit_after_a_split() -> None:
    rows = Rows()
    rows.deposit("2023-01-01", "10000")
    old = rows.buy("2023-01-02", AAA, "10", "100")  # 100 a unit, 50 after the 2:1 split
    rows.split("2023-02-01", AAA, "2")
    new = rows.buy("2023-02-02", AAA, "10", "60")  # 60 a unit: now the costliest
    rows.sell("2023-03-01", AAA, "15", "70")
    (sale,) = replay(rows.rows, method=M.HIFO).realized
    assert [(lot.lot_id, lot.quantity, lot.cost_basis) for lot in sale.lots] == [
        (str(new.id), D(10), D(600)),
        (str(old.id), D(5), D(250)),
    ]
