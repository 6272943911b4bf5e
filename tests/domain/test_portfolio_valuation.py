"""Daily valuation, holdings and the organization sum, with hand-worked numbers."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from fiscus.domain.portfolios.engine import replay
from fiscus.domain.portfolios.model import CostBasisMethod, TransferredLot
from fiscus.domain.portfolios.valuation import (
    FxHistory,
    PriceHistory,
    ValuationPoint,
    combine,
    daily_valuation,
    holdings,
)
from tests.domain.portfolio_rows import D, Rows, day

AAA = uuid.UUID(int=1)
BBB = uuid.UUID(int=2)
FIFO = CostBasisMethod.FIFO


def history(currency: str, closes: dict[str, str]) -> PriceHistory:
    ordered = sorted(closes.items())
    return PriceHistory(currency, [day(d) for d, _ in ordered], [D(c) for _, c in ordered])


def values(points: Sequence[ValuationPoint]) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [(p.date.isoformat()[5:], p.cash, p.market_value, p.value) for p in points]


def test_a_missing_close_carries_the_last_one_forward_and_says_so_on_weekdays_only() -> None:
    rows = Rows()
    rows.deposit("2024-01-01", "1000")
    rows.buy("2024-01-02", AAA, "10", "50", fee="1")
    prices = {
        AAA: history(
            "USD", {"2024-01-02": "50", "2024-01-03": "52", "2024-01-05": "55", "2024-01-08": "54"}
        )
    }
    points = daily_valuation(
        rows.rows,
        method=FIFO,
        prices=prices,
        fx={},
        base_currency="USD",
        start=day("2024-01-01"),
        end=day("2024-01-08"),
    )
    assert values(points) == [
        ("01-01", D(1000), D(0), D(1000)),
        ("01-02", D(499), D(500), D(999)),
        ("01-03", D(499), D(520), D(1019)),
        ("01-04", D(499), D(520), D(1019)),  # Thursday: no close, Wednesday's carried
        ("01-05", D(499), D(550), D(1049)),
        ("01-06", D(499), D(550), D(1049)),
        ("01-07", D(499), D(550), D(1049)),
        ("01-08", D(499), D(540), D(1039)),
    ]
    assert [p.date.day for p in points if p.carried] == [4]
    assert points[3].carried == (AAA,)
    assert (points[0].inflow, points[1].fees, points[1].cost_basis) == (D(1000), D(1), D(501))


def test_an_instrument_priced_only_later_is_valued_at_its_trade_price_until_then() -> None:
    rows = Rows()
    rows.deposit("2024-01-01", "1000")
    rows.buy("2024-01-02", AAA, "10", "50")
    rows.split("2024-01-03", AAA, "2")
    prices = {AAA: history("USD", {"2024-01-05": "26"})}
    points = daily_valuation(
        rows.rows,
        method=FIFO,
        prices=prices,
        fx={},
        base_currency="USD",
        start=day("2024-01-02"),
        end=day("2024-01-05"),
    )
    # 10 at 50 = 500; after the 2:1 split, 20 at 25 = 500; then the first close 26 * 20.
    assert [p.market_value for p in points] == [D(500), D(500), D(500), D(520)]
    assert [p.carried for p in points] == [(AAA,), (AAA,), (AAA,), ()]


def test_a_foreign_holding_splits_its_gain_into_price_and_currency() -> None:
    rows = Rows(currency="EUR")
    rows.deposit("2024-01-01", "1000")
    rows.buy("2024-01-02", BBB, "10", "100", currency="USD", fx_rate=D("0.9"))
    rows.sell("2024-01-05", BBB, "10", "120", currency="USD", fx_rate=D("0.85"))
    prices = {
        BBB: history(
            "USD",
            {"2024-01-02": "100", "2024-01-03": "110", "2024-01-04": "110", "2024-01-05": "120"},
        )
    }
    fx = {
        "USD": FxHistory(
            [day("2024-01-02"), day("2024-01-04"), day("2024-01-05")],
            [D("0.9"), D("0.8"), D("0.85")],
        )
    }
    points = daily_valuation(
        rows.rows,
        method=FIFO,
        prices=prices,
        fx=fx,
        base_currency="EUR",
        start=day("2024-01-01"),
        end=day("2024-01-05"),
    )
    assert [p.value for p in points] == [D(1000), D(1000), D(1090), D(980), D(1120)]
    # 01-03: +10 USD a unit at 0.9 = +90, all price. 01-04: the dollar falls 0.9 -> 0.8:
    # 10 * 110 * -0.1 = -110, all currency. 01-05: 10 units held overnight see
    # 10 * 120 * (0.85 - 0.80) = +60 of currency; the rest of +140, 80, is price; sold at
    # tonight's rate, so the sale itself adds no currency effect.
    assert [p.currency_effect for p in points] == [D(0), D(0), D(0), D(-110), D(60)]
    assert points[-1].cash == D(1120) and points[-1].market_value == D(0)


def test_a_trade_at_another_rate_than_the_close_is_a_currency_effect_that_day() -> None:
    rows = Rows(currency="EUR")
    rows.deposit("2024-01-01", "1000")
    rows.buy("2024-01-02", BBB, "10", "100", currency="USD", fx_rate=D("0.92"))
    prices = {BBB: history("USD", {"2024-01-01": "100", "2024-01-02": "100"})}
    fx = {"USD": FxHistory([day("2024-01-01")], [D("0.9")])}
    points = daily_valuation(
        rows.rows,
        method=FIFO,
        prices=prices,
        fx=fx,
        base_currency="EUR",
        start=day("2024-01-01"),
        end=day("2024-01-02"),
    )
    # Paid 920 EUR for what is worth 900 tonight: 10 * 100 * (0.90 - 0.92) = -20.
    assert (points[1].value, points[1].currency_effect) == (D(980), D(-20))


def test_transfers_are_external_flows_at_market_value() -> None:
    rows = Rows()
    rows.transfer_in("2024-01-02", AAA, [TransferredLot(day("2020-01-01"), D(5), D(50), D(50))])
    rows.transfer_out("2024-01-03", AAA, "2")
    prices = {AAA: history("USD", {"2024-01-02": "20", "2024-01-03": "21"})}
    points = daily_valuation(
        rows.rows,
        method=FIFO,
        prices=prices,
        fx={},
        base_currency="USD",
        start=day("2024-01-02"),
        end=day("2024-01-03"),
    )
    assert [(p.inflow, p.outflow, p.value) for p in points] == [
        (D(100), D(0), D(100)),
        (D(0), D(42), D(63)),
    ]


def test_a_holding_series_counts_money_in_and_out_of_the_holding() -> None:
    rows = Rows()
    rows.deposit("2024-01-01", "1000")
    rows.buy("2024-01-02", AAA, "10", "50", fee="1")
    rows.buy("2024-01-02", BBB, "1", "1")
    rows.dividend("2024-01-03", AAA, "5")
    rows.sell("2024-01-04", AAA, "5", "60", fee="1")
    prices = {AAA: history("USD", {"2024-01-02": "50", "2024-01-03": "52", "2024-01-04": "60"})}
    points = daily_valuation(
        rows.rows,
        method=FIFO,
        prices=prices,
        fx={},
        base_currency="USD",
        start=day("2024-01-01"),
        end=day("2024-01-04"),
        instrument_id=AAA,
    )
    assert [(p.cash, p.value, p.inflow, p.outflow, p.income, p.fees) for p in points] == [
        (D(0), D(0), D(0), D(0), D(0), D(0)),
        (D(0), D(500), D(501), D(0), D(0), D(1)),
        (D(0), D(520), D(0), D(5), D(5), D(0)),
        (D(0), D(300), D(0), D(299), D(0), D(1)),
    ]
    assert points[-1].cost_basis == D("250.5")


def test_rows_before_the_start_open_the_series() -> None:
    rows = Rows()
    rows.deposit("2023-06-01", "100")
    rows.buy("2023-06-02", AAA, "1", "40")
    prices = {AAA: history("USD", {"2023-06-02": "40", "2023-12-29": "45"})}
    (point,) = daily_valuation(
        rows.rows,
        method=FIFO,
        prices=prices,
        fx={},
        base_currency="USD",
        start=day("2024-01-01"),
        end=day("2024-01-01"),
    )
    assert (point.cash, point.market_value, point.inflow, point.carried) == (
        D(60),
        D(45),
        D(0),
        (AAA,),
    )


def test_combine_sums_portfolios_and_carries_one_that_ends_early() -> None:
    def point(on: str, cash: str, inflow: str = "0") -> ValuationPoint:
        c = D(cash)
        return ValuationPoint(day(on), c, D(0), c, D(inflow), D(0), D(0), D(0))

    one = [point("2024-01-01", "100", "100"), point("2024-01-02", "110")]
    two = [point("2024-01-02", "50", "50"), point("2024-01-03", "55")]
    total = combine([one, two])
    assert [(p.date.day, p.value, p.inflow) for p in total] == [
        (1, D(100), D(100)),
        (2, D(160), D(50)),
        (3, D(165), D(0)),
    ]


def test_holdings_price_weight_and_day_change() -> None:
    rows = Rows(currency="EUR")
    rows.deposit("2024-01-01", "10000")
    rows.buy("2024-01-02", AAA, "10", "100", fee="2", currency="EUR")
    rows.buy("2024-01-02", BBB, "4", "50", currency="USD", fx_rate=D("0.9"))
    rows.buy("2024-01-02", uuid.UUID(int=3), "1", "7", currency="EUR")
    books = replay(rows.rows, method=FIFO)
    rows_out = holdings(
        books,
        prices_today={AAA: D(110), BBB: D(55)},
        prices_previous={AAA: D(100)},
        fx_today={BBB: D("0.8")},
    )
    a, b, c = rows_out
    assert (a.market_value, a.unrealized_gain, a.average_cost) == (D(1100), D(98), D("100.2"))
    assert (a.day_change, a.day_change_percent) == (D(100), D("0.1"))
    assert (b.market_value, b.unrealized_gain, b.day_change) == (D(176), D(-4), None)
    assert (c.priced, c.market_value) == (False, D(7))
    # Weights of the invested value 1100 + 176 + 7 = 1283.
    assert a.weight == D("0.8573655495") and sum(h.weight for h in rows_out) == D(1)


def test_a_long_series_has_one_point_per_calendar_day() -> None:
    rows = Rows()
    rows.deposit("2020-01-01", "100")
    points = daily_valuation(
        rows.rows,
        method=FIFO,
        prices={},
        fx={},
        base_currency="USD",
        start=day("2020-01-01"),
        end=day("2020-12-31"),
    )
    assert len(points) == 366
    assert all(b.date - a.date == timedelta(days=1) for a, b in itertools.pairwise(points))
    assert points[-1].date == date(2020, 12, 31)
