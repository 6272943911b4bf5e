"""Periods, the time-weighted return, XIRR and the gain's attribution: published textbook
examples (sources cited at each test) and the traps of daily linking."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from fiscus.domain.errors import ValidationFailed
from fiscus.domain.portfolios.model import CostBasisMethod
from fiscus.domain.portfolios.returns import (
    performance,
    resolve_period,
    time_weighted_return,
    xirr,
)
from fiscus.domain.portfolios.valuation import (
    FxHistory,
    PriceHistory,
    ValuationPoint,
    daily_valuation,
)
from tests.domain.portfolio_rows import D, Rows, day

AAA = uuid.UUID(int=1)
BBB = uuid.UUID(int=2)
FIFO = CostBasisMethod.FIFO


def series(start: str, rows: Sequence[tuple[str, str, str]]) -> list[ValuationPoint]:
    """Points from (value, inflow, outflow) per consecutive day from ``start``."""
    first = day(start)
    return [
        ValuationPoint(first + timedelta(days=n), D(v), D(0), D(v), D(i), D(o), D(0), D(0))
        for n, (v, i, o) in enumerate(rows)
    ]


def close_to(value: Decimal | None, expected: float, within: float = 1e-9) -> bool:
    return value is not None and abs(float(value) - expected) < within


def test_twr_links_sub_periods_cfa_level_i_quarterly_example() -> None:
    # CFA Institute, CFA Program Level I, Quantitative Methods, "Discounted Cash Flow
    # Applications" (LOS: calculate and compare money- and time-weighted returns), practice
    # question quoted at https://www.analystforum.com/t/annual-time-weighted-return-question-
    # it-seems-simple-but-i-cant-answer-it/2314 : quarters begin at 2.0, 2.4, 2.6, 3.2
    # ($ millions) before flows of +0.2, +0.4, -0.2, +1.0 at the start of each quarter and
    # end at 2.4, 2.6, 3.2, 4.1. Answer: 2.4/2.2 * 2.6/2.8 * 3.2/2.4 * 4.1/4.2 - 1 = 31.85 %.
    # One point per quarter; the Q3 withdrawal (at the start of the quarter, before the
    # quarter's return) is its own day with no market move.
    points = series(
        "2024-01-01",
        [
            ("2.0", "0", "0"),
            ("2.4", "0.2", "0"),
            ("2.6", "0.4", "0"),
            ("2.4", "0", "0.2"),
            ("3.2", "0", "0"),
            ("4.1", "1.0", "0"),
        ],
    )
    result = time_weighted_return(points, day("2024-01-01"), day("2024-01-06"))
    exact = (
        Fraction("2.4")
        / Fraction("2.2")
        * Fraction("2.6")
        / Fraction("2.8")
        * Fraction("3.2")
        / Fraction("2.4")
        * Fraction("4.1")
        / Fraction("4.2")
        - 1
    )
    assert result.cumulative == round(Decimal(exact.numerator) / exact.denominator, 10)
    assert round(result.cumulative, 4) == D("0.3185")
    assert result.annualized is None and result.days == 5


def test_twr_and_mwr_of_the_cfa_two_share_example_through_the_whole_engine() -> None:
    # CFA Institute, CFA Program Level I, Quantitative Methods, time- vs money-weighted
    # return example (as taught in the Level I notes, e.g. Kaplan Schweser SchweserNotes
    # Book 1, LOS 6.d/7.d): buy one share at $100 at t=0, another at $120 at t=1, sell both
    # at $130 at t=2; $2 a share dividend at t=1 and t=2. Time-weighted: HPR1 = (120 + 2 -
    # 100)/100 = 22 %, HPR2 = (260 + 4 - 240)/240 = 10 %, annual sqrt(1.22 * 1.10) - 1 =
    # 15.84 %. Money-weighted: -100 - 118/(1+r) + 264/(1+r)^2 = 0, r = 13.86 %.
    rows = Rows()
    rows.deposit("2021-01-01", "100")
    rows.buy("2021-01-01", AAA, "1", "100")
    rows.dividend("2021-12-31", AAA, "2")  # the year's price move and dividend, then
    rows.deposit("2022-01-01", "118")  # the flow the next day, at an unchanged price
    rows.buy("2022-01-01", AAA, "1", "120")
    rows.dividend("2022-12-31", AAA, "4")
    rows.sell("2023-01-01", AAA, "2", "130")
    rows.withdraw("2023-01-01", "264")
    prices = {
        AAA: PriceHistory(
            "USD",
            [day("2021-01-01"), day("2021-12-31"), day("2022-12-31")],
            [D(100), D(120), D(130)],
        )
    }
    start, end = day("2021-01-01"), day("2023-01-01")  # 730 days: two 365-day years
    points = daily_valuation(
        rows.rows, method=FIFO, prices=prices, fx={}, base_currency="USD", start=start, end=end
    )
    result = performance(points, start=start, end=end)
    assert close_to(result.twr, 1.22 * 1.10 - 1)
    assert close_to(result.twr_annualized, math.sqrt(1.22 * 1.10) - 1)
    assert round(result.twr_annualized or 0, 4) == D("0.1584")
    v = (118 + math.sqrt(118**2 + 4 * 264 * 100)) / (2 * 264)  # v = 1 / (1 + r)
    assert close_to(result.xirr, 1 / v - 1, 1e-9)
    assert round(result.xirr or 0, 4) == D("0.1386")
    # 100 in, 118 in, 264 out: gained 46 = price (10+10+10+10+... ) + income 6.
    assert (result.start_value, result.end_value, result.net_flows) == (D(100), D(0), D(-146))
    assert (result.absolute_gain, result.income, result.price_effect) == (D(46), D(6), D(40))


def test_xirr_matches_excels_documented_example() -> None:
    # Microsoft Support, "XIRR function" (Excel), example: -10,000 on 1/1/2008, 2,750 on
    # 3/1/2008, 4,250 on 10/30/2008, 3,250 on 2/15/2009, 2,750 on 4/1/2009 ->
    # 0.373362535 (37.34 %). https://support.microsoft.com/en-us/office/xirr-function-de1242ec-6477-445b-b11b-a303ad9adc9d
    flows = [
        (date(2008, 1, 1), D(-10000)),
        (date(2008, 3, 1), D(2750)),
        (date(2008, 10, 30), D(4250)),
        (date(2009, 2, 15), D(3250)),
        (date(2009, 4, 1), D(2750)),
    ]
    result = xirr(flows)
    assert result.reason is None and close_to(result.rate, 0.373362535, 5e-9)
    assert xirr([(d, -c) for d, c in flows]).rate == result.rate  # either sign convention


def npv(flows: Sequence[tuple[date, Decimal]], rate: Decimal) -> float:
    origin = min(d for d, _ in flows)
    return sum(float(c) / (1 + float(rate)) ** ((d - origin).days / 365) for d, c in flows)


def test_xirr_says_why_when_there_is_no_rate() -> None:
    one_day = [(date(2024, 1, 1), D(-100)), (date(2024, 1, 1), D(50))]
    assert xirr(one_day).rate is None and "two dates" in (xirr(one_day).reason or "")
    same_sign = [(date(2024, 1, 1), D(-100)), (date(2024, 6, 1), D(-50))]
    assert xirr(same_sign).rate is None and "both signs" in (xirr(same_sign).reason or "")
    # -100 + 50 y - 100 y^2 < 0 for every y = 1/(1+r) > 0: no rate at all.
    never = [(date(2024, 1, 1), D(-100)), (date(2025, 1, 1), D(50)), (date(2026, 1, 1), D(-100))]
    result = xirr(never)
    assert result.rate is None and "NPV" in (result.reason or "")


def test_xirr_extreme_rates_are_solved_not_given_up() -> None:
    loss = xirr([(date(2023, 1, 1), D(-100)), (date(2024, 1, 1), D(1))])
    assert loss.rate == D("-0.99")
    doubled_overnight = [(date(2024, 1, 1), D(-100)), (date(2024, 1, 2), D(200))]
    rate = xirr(doubled_overnight).rate
    assert rate is not None and abs(npv(doubled_overnight, rate)) < 1e-6
    assert float(rate) == pytest.approx(2**365 - 1, rel=1e-9)


def test_xirr_with_two_rates_returns_one_that_zeroes_the_npv() -> None:
    # -100, +230, -132 a year apart: rates 10 % and 20 %.
    flows = [(date(2021, 1, 1), D(-100)), (date(2022, 1, 1), D(230)), (date(2023, 1, 1), D(-132))]
    rate = xirr(flows).rate
    assert rate in (D("0.1"), D("0.2"))


def test_an_emptied_portfolio_refunded_later_links_only_the_invested_days() -> None:
    rows = Rows()
    rows.deposit("2024-01-01", "100")
    rows.buy("2024-01-01", AAA, "1", "100")
    rows.sell("2024-01-03", AAA, "1", "110")
    rows.withdraw("2024-01-03", "110")  # empty: value 0 for two weeks
    rows.deposit("2024-01-20", "200")
    rows.buy("2024-01-20", AAA, "2", "100")
    prices = {
        AAA: PriceHistory(
            "USD",
            [day("2024-01-01"), day("2024-01-03"), day("2024-01-20"), day("2024-01-22")],
            [D(100), D(110), D(100), D(105)],
        )
    }
    points = daily_valuation(
        rows.rows,
        method=FIFO,
        prices=prices,
        fx={},
        base_currency="USD",
        start=day("2023-12-31"),
        end=day("2024-01-31"),
    )
    result = performance(points, start=day("2023-12-31"), end=day("2024-01-31"))
    assert close_to(result.twr, 1.10 * 1.05 - 1)  # the idle days have r = 0
    assert result.xirr is not None and abs(npv(xirr_flows(points), result.xirr)) < 1e-6


def xirr_flows(points: Sequence[ValuationPoint]) -> list[tuple[date, Decimal]]:
    flows = [(p.date, p.outflow - p.inflow) for p in points if p.inflow or p.outflow]
    return [*flows, (points[-1].date, points[-1].value)]


def test_a_large_deposit_is_not_a_return() -> None:
    rows = Rows()
    rows.deposit("2024-01-01", "100")
    rows.buy("2024-01-01", AAA, "1", "100")
    rows.deposit("2024-01-02", "1000000")
    prices = {AAA: PriceHistory("USD", [day("2024-01-01"), day("2024-01-03")], [D(100), D(110)])}
    points = daily_valuation(
        rows.rows,
        method=FIFO,
        prices=prices,
        fx={},
        base_currency="USD",
        start=day("2024-01-01"),
        end=day("2024-01-03"),
    )
    result = time_weighted_return(points, day("2024-01-01"), day("2024-01-03"))
    # Day 2: (1,000,100 + 0) / (100 + 1,000,000) - 1 = 0. Day 3: +10 on 1,000,100.
    assert close_to(result.cumulative, 10 / 1_000_100)


def test_attribution_separates_price_income_currency_and_fees() -> None:
    rows = Rows(currency="EUR")
    rows.deposit("2024-01-01", "1000")
    rows.buy("2024-01-01", BBB, "10", "50", fee="1", currency="USD", fx_rate=D("0.9"))
    rows.dividend("2024-01-02", BBB, "10", currency="USD", fx_rate=D("0.9"))
    prices = {
        BBB: PriceHistory(
            "USD", [day("2024-01-01"), day("2024-01-02"), day("2024-01-03")], [D(50), D(55), D(55)]
        )
    }
    fx = {"USD": FxHistory([day("2024-01-01"), day("2024-01-03")], [D("0.9"), D("0.8")])}
    points = daily_valuation(
        rows.rows,
        method=FIFO,
        prices=prices,
        fx=fx,
        base_currency="EUR",
        start=day("2023-12-31"),
        end=day("2024-01-03"),
    )
    result = performance(points, start=day("2023-12-31"), end=day("2024-01-03"))
    # Cash 1000 - 450.9 + 9 = 558.1; 10 units * 55 USD * 0.8 = 440: value 998.1 from 1000 in.
    assert (result.end_value, result.absolute_gain) == (D("998.1"), D("-1.9"))
    # Price: 10 * (55 - 50) * 0.9 = 45; income 9; fees 0.9; currency 10 * 55 * -0.1 = -55.
    assert (result.price_effect, result.income, result.fees, result.currency_effect) == (
        D(45),
        D(9),
        D("0.9"),
        D(-55),
    )
    assert result.carried_forward is False


def test_a_carried_close_is_reported_by_performance() -> None:
    rows = Rows()
    rows.deposit("2024-01-01", "100")
    rows.buy("2024-01-01", AAA, "1", "100")
    prices = {AAA: PriceHistory("USD", [day("2024-01-01")], [D(100)])}
    points = daily_valuation(
        rows.rows,
        method=FIFO,
        prices=prices,
        fx={},
        base_currency="USD",
        start=day("2024-01-01"),
        end=day("2024-01-02"),
    )
    assert performance(points, start=day("2024-01-01"), end=day("2024-01-02")).carried_forward


def test_periods_resolve_to_start_and_end() -> None:
    today, first = day("2024-03-31"), day("2020-06-15")

    def resolve(period: str | None, **dates: date | None) -> tuple[date, date]:
        return resolve_period(
            period, today=today, first_date=first, from_=dates.get("from_"), to=dates.get("to")
        )

    assert resolve("1M") == (day("2024-02-29"), today)
    assert resolve("3M") == (day("2023-12-31"), today)
    assert resolve("YTD") == (day("2023-12-31"), today)
    assert resolve("1Y") == (day("2023-03-31"), today)
    assert resolve("3Y") == (day("2021-03-31"), today)
    assert resolve("5Y") == (day("2020-06-14"), today)  # the portfolio is younger
    assert resolve("MAX") == (day("2020-06-14"), today)
    assert resolve(None) == (day("2020-06-14"), today)
    assert resolve(None, from_=day("2024-01-10"), to=day("2024-02-10")) == (
        day("2024-01-10"),
        day("2024-02-10"),
    )
    for bad, field in [
        (lambda: resolve("2W"), "period"),
        (lambda: resolve("1M", to=day("2024-01-01")), "period"),
        (lambda: resolve(None, to=day("2024-04-01")), "to"),
        (lambda: resolve(None, from_=day("2024-02-10"), to=day("2024-02-10")), "from"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            bad()
        assert caught.value.field == field


def test_twr_annualizes_a_year_or_more_only() -> None:
    points = series(
        "2023-01-01", [("100", "100", "0")] + [("100", "0", "0")] * 364 + [("121", "0", "0")] * 366
    )
    two_years = time_weighted_return(points, day("2023-01-01"), day("2025-01-01"))
    assert two_years.days == 731 and two_years.cumulative == D("0.21")
    assert close_to(two_years.annualized, 1.21 ** (365 / 731) - 1)
    assert time_weighted_return(points, day("2023-01-01"), day("2023-12-31")).annualized is None
