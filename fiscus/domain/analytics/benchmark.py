"""A series beside a benchmark (any instrument's closes in the series' currency, carried
forward): relative figures, rebased charts and the "what if I had bought the benchmark
instead" series.

On the trading days of the series (``returns.daily_returns``), the benchmark's return is
``b_d = C_d / C_{d'} - 1`` with ``d'`` the previous trading day (the start for the first)
and ``C`` the last close on or before each day. With ``p_d`` the series' returns:

- beta ``= cov(p, b) / var(b)`` and correlation ``= cov(p, b) / (std(p) std(b))`` (ddof 1);
- tracking error ``= std(p - b, ddof=1) * sqrt(252)``;
- information ratio ``= mean(p - b) / std(p - b, ddof=1) * sqrt(252)``;
- excess return ``= TWR(series) - (C_end / C_start - 1)`` over the whole period.

What-if: the value at the close of ``start`` buys ``V_s / C_s`` units; with the TWR's own
timing (flows in at the start of the day, out at its end), a day's inflow buys
``IN_t / C_{t-1}`` units (the previous close) and its outflow sells ``OUT_t / C_t`` (units
never go below zero: a withdrawal larger than the holding takes what there is, and that is
the outflow recorded). So the what-if's TWR is the benchmark's return. Units keep 10
decimal places, values 4 (half-even).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import numpy as np

from fiscus.domain.analytics.returns import TRADING_DAYS_PER_YEAR, Floats, ReturnSeries
from fiscus.domain.portfolios.engine import EXACT
from fiscus.domain.portfolios.lots import money
from fiscus.domain.portfolios.returns.twr import to_rate, value_at
from fiscus.domain.portfolios.valuation import ValuationPoint

_UNITS = Decimal(1).scaleb(-10)
_NOISE = 1e-12
"""A daily spread below this is float noise (identical series): no ratio is defined."""
_ZERO = Decimal(0)


class NoBenchmarkPrice(ValueError):
    """The benchmark has no close on or before the period's start."""


@dataclass(frozen=True, slots=True)
class Closes:
    """Closes ascending by date, in the currency of the series they are compared with."""

    dates: Sequence[date]
    closes: Sequence[Decimal]

    def at(self, day: date) -> Decimal | None:
        index = bisect_right(self.dates, day) - 1
        return self.closes[index] if index >= 0 else None

    def require(self, day: date) -> Decimal:
        found = self.at(day)
        if found is None or found <= 0:
            raise NoBenchmarkPrice(day.isoformat())
        return found


@dataclass(frozen=True, slots=True)
class RelativeFigures:
    portfolio_return: Decimal
    benchmark_return: Decimal
    excess_return: Decimal
    beta: Decimal | None
    correlation: Decimal | None
    tracking_error: Decimal | None
    information_ratio: Decimal | None


def benchmark_returns(series: ReturnSeries, closes: Closes) -> Floats:
    previous = float(closes.require(series.start))
    if not series.dates:
        return np.empty(0)
    marks = np.array(list(map(date.toordinal, closes.dates)), dtype=np.int64)
    asked = np.array(list(map(date.toordinal, series.dates)), dtype=np.int64)
    at = np.searchsorted(marks, asked, side="right") - 1
    values = np.array(list(map(float, closes.closes)), dtype=np.float64)[at]
    if bool(np.any(values <= 0)):
        raise NoBenchmarkPrice(series.dates[int(np.argmax(values <= 0))].isoformat())
    found: Floats = values / np.concatenate(([previous], values[:-1])) - 1.0
    return found


def _figure(value: float) -> Decimal | None:
    return to_rate(float(value)) if np.isfinite(value) else None


def relative_figures(series: ReturnSeries, closes: Closes) -> RelativeFigures:
    p = series.returns
    b = benchmark_returns(series, closes)
    benchmark = float(closes.require(series.end) / closes.require(series.start)) - 1.0
    portfolio = series.cumulative
    beta = correlation = tracking = information = None
    if len(p) >= 2:
        covariance = float(np.cov(p, b, ddof=1)[0, 1])
        variance_b = float(np.var(b, ddof=1))
        spread_p = float(np.std(p, ddof=1))
        if variance_b > _NOISE * _NOISE:
            beta = _figure(covariance / variance_b)
            if spread_p > _NOISE:
                correlation = _figure(covariance / (spread_p * np.sqrt(variance_b)))
        active = p - b
        spread = float(np.std(active, ddof=1))
        tracking = _figure(spread * np.sqrt(TRADING_DAYS_PER_YEAR))
        if spread > _NOISE:
            information = _figure(float(np.mean(active)) / spread * np.sqrt(TRADING_DAYS_PER_YEAR))
    return RelativeFigures(
        portfolio_return=to_rate(portfolio),
        benchmark_return=to_rate(benchmark),
        excess_return=to_rate(portfolio - benchmark),
        beta=beta,
        correlation=correlation,
        tracking_error=tracking,
        information_ratio=information,
    )


@dataclass(frozen=True, slots=True)
class ComparisonPoint:
    date: date
    portfolio: float
    """The series' growth index rebased to 100 at the start."""
    benchmark: float
    """The benchmark's close rebased to 100 at the start."""
    excess: float
    """Cumulative return of the series minus the benchmark's, since the start."""


def comparison_series(
    growth: Sequence[tuple[date, float]], closes: Closes
) -> list[ComparisonPoint]:
    """``growth``: ``returns.calendar_growth`` (the start first, at 1.0)."""
    base = float(closes.require(growth[0][0]))
    found = []
    for day, g in growth:
        b = float(closes.require(day)) / base
        found.append(ComparisonPoint(day, g * 100.0, b * 100.0, g - b))
    return found


def what_if(
    points: Sequence[ValuationPoint], start: date, end: date, closes: Closes
) -> list[ValuationPoint]:
    """The same external flows invested in the benchmark: a point at ``start`` and one at
    every point date of ``(start, end]``."""
    with localcontext(EXACT):
        start_value = value_at(points, start)
        close = closes.require(start)
        units = (start_value / close).quantize(_UNITS, ROUND_HALF_EVEN)
        found = [_point(start, units, close, _ZERO, _ZERO)]
        for point in points:
            if point.date <= start:
                continue
            if point.date > end:
                break
            opening, close = close, closes.require(point.date)
            outflow = point.outflow
            units += (point.inflow / opening - outflow / close).quantize(_UNITS, ROUND_HALF_EVEN)
            if units < 0:
                # Withdrew more than the benchmark holding was worth: pay out what there was.
                outflow = money(outflow + units * close)
                units = _ZERO
            found.append(_point(point.date, units, close, point.inflow, outflow))
        return found


def _point(
    day: date, units: Decimal, close: Decimal, inflow: Decimal, outflow: Decimal
) -> ValuationPoint:
    value = money(units * close)
    return ValuationPoint(day, _ZERO, value, value, inflow, outflow, _ZERO, _ZERO)
