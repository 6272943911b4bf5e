"""Risk figures: drawdown dates on a hand-built series, volatility / Sharpe / Sortino
against numpy on the same returns, trading-day linking, months, concentration."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from fiscus.domain.analytics import (
    RiskFreeRate,
    SeriesInterval,
    calendar_growth,
    concentration,
    daily_returns,
    drawdown_series,
    risk_figures,
    thin,
)
from fiscus.domain.portfolios.returns import time_weighted_return
from fiscus.domain.portfolios.valuation import ValuationPoint

D = Decimal


def point(day: date, value: float | str, inflow: str = "0", outflow: str = "0") -> ValuationPoint:
    v = D(str(value))
    return ValuationPoint(day, D(0), v, v, D(inflow), D(outflow), D(0), D(0))


def calendar_points(start: date, weekday_values: Sequence[float]) -> list[ValuationPoint]:
    """A point on ``start`` and every calendar day after it; each weekday takes the next
    value, weekends carry Friday's."""
    points = [point(start, weekday_values[0])]
    values = iter(weekday_values[1:])
    day, current = start, weekday_values[0]
    while True:
        day += timedelta(days=1)
        if day.weekday() < 5:
            try:
                current = next(values)
            except StopIteration:
                return points
        points.append(point(day, current))


def test_drawdown_peak_trough_recovery_and_longest_duration_on_a_hand_built_series():
    # Fri 5 Jan 100; Mon 8 110 (peak); 9: 99; Wed 10: 88 (trough, -20 %); 11: 100;
    # Fri 12: 110 (recovered, 4 days after the peak); Mon 15: 120 (new high); 16: 108 (-10 %)
    # and under 120 until the end (Wed 31 Jan): not recovered, 16 days long.
    values = [100, 110, 99, 88, 100, 110, 120, 108, *([114] * 10), 112]
    points = calendar_points(date(2024, 1, 5), values)
    assert points[-1].date == date(2024, 1, 31)
    figures = risk_figures(daily_returns(points, date(2024, 1, 5), date(2024, 1, 31)))
    deepest = figures.max_drawdown
    assert deepest is not None
    assert deepest.depth == D("-0.2")
    assert (deepest.peak, deepest.trough, deepest.recovery) == (
        date(2024, 1, 8),
        date(2024, 1, 10),
        date(2024, 1, 12),
    )
    assert deepest.days == 4
    longest = figures.longest_drawdown
    assert longest is not None
    assert (longest.peak, longest.trough, longest.recovery) == (
        date(2024, 1, 15),
        date(2024, 1, 16),
        None,
    )
    assert longest.depth == D("-0.1") and longest.days == 16
    assert figures.current_drawdown == D("-0.0666666667")  # 112 / 120 - 1
    assert figures.best_day is not None and figures.worst_day is not None
    assert (figures.best_day.date, figures.best_day.value) == (date(2024, 1, 11), D("0.1363636364"))
    assert (figures.worst_day.date, figures.worst_day.value) == (
        date(2024, 1, 10),
        D("-0.1111111111"),
    )  # 88 / 99 - 1
    chart = drawdown_series(daily_returns(points, date(2024, 1, 5), date(2024, 1, 31)))
    assert chart[0] == (date(2024, 1, 5), 0.0)
    assert dict(chart)[date(2024, 1, 10)] == pytest.approx(-0.2)


def test_a_series_that_only_rises_has_no_drawdown():
    points = calendar_points(date(2024, 1, 5), [100, 101, 102, 103])
    figures = risk_figures(daily_returns(points, date(2024, 1, 5), date(2024, 1, 10)))
    assert figures.max_drawdown is None and figures.longest_drawdown is None
    assert figures.current_drawdown == 0


def test_volatility_sharpe_and_sortino_match_numpy_on_the_same_returns():
    rng = np.random.default_rng(7)
    returns = rng.normal(0.0004, 0.011, 300)
    values = [10_000.0]
    for r in returns:
        values.append(values[-1] * (1 + r))
    start = date(2023, 1, 6)  # a Friday
    points = calendar_points(start, [round(v, 4) for v in values])
    end = points[-1].date
    series = daily_returns(points, start, end)
    assert len(series.returns) == 300
    # The same returns, up to the 4-place rounding of the values.
    assert np.allclose(series.returns, returns, atol=1e-7)
    r = series.returns
    rf = RiskFreeRate(D("0.02"))
    figures = risk_figures(series, rf)
    daily_rf = 1.02 ** (1 / 252) - 1
    excess = r - daily_rf
    assert float(figures.volatility) == pytest.approx(np.std(r, ddof=1) * np.sqrt(252), abs=1e-9)
    assert float(figures.sharpe) == pytest.approx(
        excess.mean() / excess.std(ddof=1) * np.sqrt(252), abs=1e-9
    )
    downside = np.sqrt(np.mean(np.minimum(excess, 0) ** 2)) * np.sqrt(252)
    assert float(figures.downside_deviation) == pytest.approx(downside, abs=1e-9)
    assert float(figures.sortino) == pytest.approx(excess.mean() * 252 / downside, abs=1e-9)
    assert figures.risk_free_rate == D("0.02")
    assert figures.observations == 300
    # Linking the trading days gives the period's TWR exactly.
    twr = time_weighted_return(points, start, end)
    assert float(figures.cumulative_return) == pytest.approx(float(twr.cumulative), abs=1e-10)


def test_weekend_flows_and_fees_land_in_mondays_return_and_link_to_the_twr():
    start = date(2024, 3, 1)  # Friday, value 1000
    points = [
        point(start, "1000"),
        point(date(2024, 3, 2), "1495", inflow="500"),  # Saturday: deposit, 5 of fees
        point(date(2024, 3, 3), "1495"),
        point(date(2024, 3, 4), "1600"),  # Monday
        point(date(2024, 3, 5), "1500", outflow="100"),  # Tuesday: withdrawal
        point(date(2024, 3, 9), "1450"),  # a Saturday after the last trading day
    ]
    series = daily_returns(points, start, date(2024, 3, 9))
    assert series.dates == (date(2024, 3, 4), date(2024, 3, 5))
    monday = 1495 / 1500 * 1600 / 1495 - 1
    tuesday = (1500 + 100) / 1600 * 1450 / 1500 - 1  # Saturday's loss linked into Tuesday
    assert series.returns == pytest.approx([monday, tuesday])
    twr = time_weighted_return(points, start, date(2024, 3, 9))
    assert series.cumulative == pytest.approx(float(twr.cumulative), abs=1e-10)


def test_a_dated_risk_free_series_is_carried_forward():
    rf = RiskFreeRate(series=((date(2024, 1, 1), D("0.01")), (date(2024, 1, 10), D("0.05"))))
    daily = rf.daily([date(2023, 12, 29), date(2024, 1, 9), date(2024, 1, 10), date(2024, 2, 1)])
    expected = [1.01 ** (1 / 252) - 1] * 2 + [1.05 ** (1 / 252) - 1] * 2
    assert daily == pytest.approx(expected)


def test_best_and_worst_months_compound_their_trading_days():
    start = date(2024, 1, 31)
    points = [
        point(start, "100"),
        point(date(2024, 2, 1), "110"),
        point(date(2024, 2, 29), "99"),
        point(date(2024, 3, 1), "108.9"),
    ]
    figures = risk_figures(daily_returns(points, start, date(2024, 3, 1)))
    assert figures.worst_month is not None and figures.best_month is not None
    assert (figures.worst_month.date, figures.worst_month.value) == (date(2024, 2, 1), D("-0.01"))
    assert (figures.best_month.date, figures.best_month.value) == (date(2024, 3, 1), D("0.1"))


def test_growth_is_rebased_per_point_and_thinned_per_month():
    start = date(2024, 1, 30)
    points = [point(start + timedelta(days=n), 100 + n) for n in range(40)]
    growth = calendar_growth(points, start, points[-1].date)
    assert growth[0] == (start, 1.0) and len(growth) == 40
    monthly = thin(growth, lambda g: g[0], SeriesInterval.MONTH)
    assert [d for d, _ in monthly] == [
        start,
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 9),
    ]
    weekly = thin(growth, lambda g: g[0], SeriesInterval.WEEK)
    assert all(d.weekday() == 6 for d, _ in weekly[1:-1])


def test_concentration_herfindahl_and_effective_holdings():
    found = concentration([("A", D("500")), ("B", D("300")), ("C", D("200")), ("Z", D("0"))])
    # 0.5^2 + 0.3^2 + 0.2^2 = 0.38
    assert found.herfindahl == D("0.38")
    assert found.effective_holdings == D("2.6315789474")
    assert [(w.key, w.weight) for w in found.top] == [
        ("A", D("0.5")),
        ("B", D("0.3")),
        ("C", D("0.2")),
    ]
    assert found.holdings == 3
    assert concentration([]).effective_holdings is None
