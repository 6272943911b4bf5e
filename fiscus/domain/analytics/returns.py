"""Daily returns on trading days, from a valuation series (portfolio, holding, organization
or backtest: the same formulas on whichever series is given).

Calendar-day factors are the time-weighted return's own (``portfolios.returns.twr``):

    f_t = (V_t + OUT_t) / (V_{t-1} + IN_t)      (f_t = 1 when the denominator <= 0)

A TRADING DAY is Monday to Friday (no holiday calendar: a holiday's carried closes give a
0 return that day). The return of trading day ``d`` links every factor since the previous
trading day: ``r_d = prod f_t - 1`` over ``t`` in (previous trading day, d], so a weekend's
flows and fees land in Monday's return; factors after the range's last trading day are
linked into that day. Hence ``prod (1 + r_d) - 1`` is exactly the period's TWR.

Annualization uses ``TRADING_DAYS_PER_YEAR = 252`` observations a year.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from fiscus.domain.portfolios.returns.twr import value_at
from fiscus.domain.portfolios.valuation import ValuationPoint

TRADING_DAYS_PER_YEAR = 252
_VALUE = attrgetter("value")
Floats = npt.NDArray[np.float64]


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5


@dataclass(frozen=True, slots=True)
class ReturnSeries:
    """Over ``(start, end]``: one return per trading day, ``dates`` ascending."""

    start: date
    end: date
    dates: tuple[date, ...]
    returns: Floats

    @property
    def growth(self) -> Floats:
        """The growth index at each date: ``prod_{j <= k} (1 + r_j)`` (1 at ``start``)."""
        growth: Floats = np.cumprod(1.0 + self.returns, dtype=np.float64)
        return growth

    @property
    def cumulative(self) -> float:
        return float(np.prod(1.0 + self.returns) - 1.0) if len(self.returns) else 0.0


def _factors(
    points: Sequence[ValuationPoint], start: date, end: date
) -> tuple[list[ValuationPoint], Floats]:
    """The points of ``(start, end]`` and their daily factors (vectorized)."""
    dates = [p.date for p in points]
    window = list(points[bisect_right(dates, start) : bisect_right(dates, end)])
    if not window:
        return window, np.empty(0)
    values = np.array(list(map(float, map(_VALUE, window))), dtype=np.float64)
    inflow = np.zeros(len(window))
    outflow = np.zeros(len(window))
    for k, p in enumerate(window):  # flows are rare: convert only those
        if p.inflow:
            inflow[k] = float(p.inflow)
        if p.outflow:
            outflow[k] = float(p.outflow)
    previous = np.concatenate(([float(value_at(points, start))], values[:-1]))
    denominator = previous + inflow
    positive = denominator > 0
    factors = np.ones(len(window))
    np.divide(values + outflow, denominator, out=factors, where=positive)
    return window, factors


def daily_returns(points: Sequence[ValuationPoint], start: date, end: date) -> ReturnSeries:
    """``points`` ascending by date (calendar days, or only the days of a backtest)."""
    window, factors = _factors(points, start, end)
    if not window:
        return ReturnSeries(start, end, (), np.empty(0))
    trading = [k for k, p in enumerate(window) if p.date.weekday() < 5]
    last = len(window) - 1
    if not trading:
        ends = [last]
    else:
        ends = trading
        if ends[-1] != last:
            ends = [*ends[:-1], last]  # trailing non-trading days link into the last one
    starts = [0, *(k + 1 for k in ends[:-1])]
    growth = np.multiply.reduceat(factors, starts)
    dates = tuple(window[k].date for k in (trading if trading else ends))
    return ReturnSeries(start, end, dates, growth - 1.0)


def calendar_growth(
    points: Sequence[ValuationPoint], start: date, end: date
) -> list[tuple[date, float]]:
    """The growth index at ``start`` (1.0) and at every point of ``(start, end]`` (the same
    daily factors, not grouped), for charts."""
    previous = float(value_at(points, start))
    growth = 1.0
    found = [(start, 1.0)]
    for point in points:
        if point.date <= start:
            continue
        if point.date > end:
            break
        value = float(point.value)
        denominator = previous + float(point.inflow)
        if denominator > 0:
            growth *= (value + float(point.outflow)) / denominator
        previous = value
        found.append((point.date, growth))
    return found
