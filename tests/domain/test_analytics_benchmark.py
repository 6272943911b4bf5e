"""A series beside a benchmark: beta, correlation, tracking error and information ratio
against numpy; rebased series; the same flows invested in the benchmark instead."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from fiscus.domain.analytics import (
    Closes,
    NoBenchmarkPrice,
    benchmark_returns,
    calendar_growth,
    comparison_series,
    daily_returns,
    relative_figures,
    what_if,
)
from fiscus.domain.portfolios.returns import performance
from tests.domain.test_analytics_risk import calendar_points, point

D = Decimal


def closes_of(start: date, weekday_values: list[float]) -> Closes:
    """Closes on ``start`` and on each following weekday only (no weekend closes)."""
    dates, values, day = [start], [D(str(weekday_values[0]))], start
    for v in weekday_values[1:]:
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        dates.append(day)
        values.append(D(str(v)))
    return Closes(dates, values)


def test_beta_correlation_tracking_error_and_information_ratio_match_numpy():
    rng = np.random.default_rng(11)
    b = rng.normal(0.0003, 0.01, 120)
    p = 0.2 * b + rng.normal(0.0002, 0.004, 120) + 0.9 * b
    start = date(2024, 1, 5)
    bench = [100.0]
    for r in b:
        bench.append(bench[-1] * (1 + r))
    values = [10_000.0]
    for r in p:
        values.append(values[-1] * (1 + r))
    points = calendar_points(start, [round(v, 4) for v in values])
    closes = closes_of(start, [round(v, 6) for v in bench])
    series = daily_returns(points, start, points[-1].date)
    found_b = benchmark_returns(series, closes)
    assert np.allclose(found_b, b, atol=1e-7)
    figures = relative_figures(series, closes)
    pr, br = series.returns, found_b
    cov = np.cov(pr, br, ddof=1)[0, 1]
    assert float(figures.beta) == pytest.approx(cov / np.var(br, ddof=1), abs=1e-9)
    assert float(figures.correlation) == pytest.approx(np.corrcoef(pr, br)[0, 1], abs=1e-9)
    active = pr - br
    te = active.std(ddof=1) * np.sqrt(252)
    assert float(figures.tracking_error) == pytest.approx(te, abs=1e-9)
    assert float(figures.information_ratio) == pytest.approx(
        active.mean() / active.std(ddof=1) * np.sqrt(252), abs=1e-9
    )
    bench_return = float(closes.closes[-1] / closes.closes[0]) - 1
    assert float(figures.benchmark_return) == pytest.approx(bench_return, abs=1e-9)
    assert float(figures.excess_return) == pytest.approx(
        float(figures.portfolio_return) - bench_return, abs=1e-9
    )


def test_the_comparison_is_rebased_to_100_and_carries_weekend_closes():
    start = date(2024, 1, 5)
    points = calendar_points(start, [100, 110, 121])
    closes = closes_of(start, [50, 55, 50])
    rows = comparison_series(calendar_growth(points, start, date(2024, 1, 9)), closes)
    assert [r.date for r in rows][:4] == [
        start,
        date(2024, 1, 6),
        date(2024, 1, 7),
        date(2024, 1, 8),
    ]
    assert (rows[0].portfolio, rows[0].benchmark, rows[0].excess) == (100.0, 100.0, 0.0)
    sunday = rows[2]
    assert sunday.portfolio == pytest.approx(100.0) and sunday.benchmark == pytest.approx(100.0)
    last = rows[-1]
    assert last.portfolio == pytest.approx(121.0) and last.benchmark == pytest.approx(100.0)
    assert last.excess == pytest.approx(0.21)


def test_what_if_invests_the_same_flows_in_the_benchmark():
    start = date(2024, 1, 5)
    points = [
        point(start, "1000"),
        point(date(2024, 1, 8), "1600", inflow="500"),
        point(date(2024, 1, 9), "1500", outflow="200"),
        point(date(2024, 1, 10), "1400"),
    ]
    closes = Closes([start, date(2024, 1, 8), date(2024, 1, 9)], [D(100), D(125), D(80)])
    found = what_if(points, start, date(2024, 1, 10), closes)
    # 10 units at 100; +5 units at the opening 100 (500 in), 15 at 125; -2.5 units at 80
    # (200 out): 12.5 units at 80.
    assert [(p.date, p.value) for p in found] == [
        (start, D("1000.0000")),
        (date(2024, 1, 8), D("1875.0000")),
        (date(2024, 1, 9), D("1000.0000")),
        (date(2024, 1, 10), D("1000.0000")),
    ]
    result = performance(found, start=start, end=date(2024, 1, 10))
    assert result.twr == D("-0.2")  # the benchmark's own return, 80 / 100 - 1
    assert result.net_flows == D("300")


def test_what_if_withdrawals_never_sell_more_than_the_benchmark_holding():
    start = date(2024, 1, 5)
    points = [point(start, "1000"), point(date(2024, 1, 8), "800", outflow="900")]
    closes = Closes([start, date(2024, 1, 8)], [D(100), D(50)])
    found = what_if(points, start, date(2024, 1, 8), closes)
    assert (found[-1].value, found[-1].outflow) == (D("0.0000"), D("500.0000"))


def test_a_benchmark_without_a_close_at_the_start_is_refused():
    start = date(2024, 1, 5)
    points = calendar_points(start, [100, 101])
    closes = Closes([date(2024, 1, 8)], [D(10)])
    with pytest.raises(NoBenchmarkPrice):
        relative_figures(daily_returns(points, start, date(2024, 1, 8)), closes)
