"""The capital-gains report of a tax year, from hand-worked sales."""

from __future__ import annotations

import uuid

from fiscus.domain.portfolios.engine import replay
from fiscus.domain.portfolios.model import CostBasisMethod, Term
from fiscus.domain.portfolios.tax import VARIOUS, capital_gains_report
from tests.domain.portfolio_rows import D, Rows, day

AAA = uuid.UUID(int=1)


def test_a_tax_year_lists_each_sale_per_term_with_its_acquisition_date() -> None:
    rows = Rows()
    rows.deposit("2022-01-01", "10000")
    rows.buy("2022-01-03", AAA, "10", "100", fee="5")  # 1005
    rows.buy("2022-06-01", AAA, "10", "120", fee="5")  # 1205
    rows.sell("2022-12-01", AAA, "2", "110")  # short, from lot 1: 201 cost
    rows.sell("2023-03-01", AAA, "10", "130", fee="6")  # 8 of lot 1 (long), 2 of lot 2
    rows.transfer_out("2023-04-01", AAA, "3")  # not a sale
    rows.sell("2024-01-05", AAA, "5", "90")
    books = replay(rows.rows, method=CostBasisMethod.FIFO)
    report = capital_gains_report(books, 2023)
    # 10 sold at 130 = 1300, fee 6 shared 8:2 -> 4.8 / 1.2; long: 8 of 1005 -> 804.
    assert [
        (r.sale_date, r.quantity, r.acquired, r.proceeds, r.fee, r.cost_basis, r.gain, r.term)
        for r in report.rows
    ] == [
        (
            day("2023-03-01"),
            D(2),
            day("2022-06-01"),
            D(260),
            D("1.2"),
            D(241),
            D("17.8"),
            Term.SHORT,
        ),
        (
            day("2023-03-01"),
            D(8),
            day("2022-01-03"),
            D(1040),
            D("4.8"),
            D(804),
            D("231.2"),
            Term.LONG,
        ),
    ]
    assert (report.short_total, report.long_total, report.total) == (D("17.8"), D("231.2"), D(249))
    assert (report.proceeds_total, report.cost_total) == (D(1300), D(1045))
    assert capital_gains_report(books, 2022).total == D("19")  # 220 - 201
    assert capital_gains_report(books, 2021).rows == ()


def test_a_sale_from_several_lots_of_one_term_was_acquired_on_various_dates() -> None:
    rows = Rows()
    rows.deposit("2022-01-01", "10000")
    rows.buy("2022-01-03", AAA, "1", "100")
    rows.buy("2022-01-04", AAA, "1", "100")
    rows.sell("2022-02-01", AAA, "2", "100")
    (row,) = capital_gains_report(replay(rows.rows, method=CostBasisMethod.FIFO), 2022).rows
    assert row.acquired == VARIOUS
