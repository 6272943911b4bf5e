"""Risk figures of a return series (floats inside, Decimals rounded half-even to 10 places
at the boundary). ``r_d``: trading-day returns (``returns.daily_returns``), ``N`` of them;
``rf_d``: the risk-free rate for one trading day; ``e_d = r_d - rf_d``; ``A = 252``.

- volatility ``= std(r, ddof=1) * sqrt(A)`` (sample standard deviation; N >= 2);
- downside deviation (semi-deviation below the risk-free target)
  ``= sqrt(sum_d min(e_d, 0)^2 / N) * sqrt(A)``;
- Sharpe ``= mean(e) / std(e, ddof=1) * sqrt(A)``; Sortino ``= mean(e) * A / downside``;
- drawdown on the growth index ``G`` (1 at the start): ``DD_d = G_d / max_{j <= d} G_j - 1``;
  the maximum drawdown is the lowest ``DD``, its peak the last high before the trough,
  its recovery the first later day with ``G >= G_peak`` (relative tolerance 1e-12), else
  not recovered; a drawdown's duration runs in calendar days from its peak to its recovery
  (or to the period's end); the longest drawdown is the one of longest duration;
- best / worst day: the highest / lowest ``r_d``; months compound the returns of the
  trading days of each calendar month (the first and last months as the period cuts them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np

from fiscus.domain.analytics.returns import TRADING_DAYS_PER_YEAR, Floats, ReturnSeries
from fiscus.domain.portfolios.returns.twr import annualize, to_rate

_RECOVERED = 1e-12
_NOISE = 1e-12
"""A daily spread below this is float noise: no ratio is defined."""


@dataclass(frozen=True, slots=True)
class RiskFreeRate:
    """Annual rates (0.03 = 3 %): a constant, or a dated series carried forward from each
    date (before its first date: its first rate). ``rf_d = (1 + R_d)^(1/252) - 1``."""

    annual: Decimal = Decimal(0)
    series: tuple[tuple[date, Decimal], ...] = ()

    def daily(self, dates: Sequence[date]) -> Floats:
        if not self.series:
            rates = np.full(len(dates), float(self.annual))
        else:
            marks = [d for d, _ in self.series]
            values = np.array([float(r) for _, r in self.series])
            at = (
                np.searchsorted(
                    np.array(marks, dtype="datetime64[D]"),
                    np.array(dates, dtype="datetime64[D]"),
                    side="right",
                )
                - 1
            )
            rates = values[np.maximum(at, 0)]
        daily: Floats = np.power(1.0 + rates, 1.0 / TRADING_DAYS_PER_YEAR) - 1.0
        return daily

    def average(self, dates: Sequence[date]) -> float:
        """The annual rate equivalent to the period's daily rates (their geometric mean)."""
        if not dates:
            return float(self.annual)
        daily = self.daily(dates)
        return float(np.exp(np.mean(np.log1p(daily)) * TRADING_DAYS_PER_YEAR) - 1.0)


@dataclass(frozen=True, slots=True)
class Drawdown:
    depth: Decimal
    """``G_trough / G_peak - 1`` (<= 0)."""
    peak: date
    trough: date
    recovery: date | None
    """The first day back at the peak's level; None: not recovered by the period's end."""
    days: int
    """Calendar days from the peak to the recovery (or to the period's end)."""


@dataclass(frozen=True, slots=True)
class DatedReturn:
    date: date
    """The day, or the first day of the month."""
    value: Decimal


@dataclass(frozen=True, slots=True)
class RiskFigures:
    start: date
    end: date
    observations: int
    cumulative_return: Decimal
    annualized_return: Decimal | None
    risk_free_rate: Decimal
    volatility: Decimal | None
    downside_deviation: Decimal | None
    sharpe: Decimal | None
    sortino: Decimal | None
    max_drawdown: Drawdown | None
    longest_drawdown: Drawdown | None
    current_drawdown: Decimal
    best_day: DatedReturn | None
    worst_day: DatedReturn | None
    best_month: DatedReturn | None
    worst_month: DatedReturn | None


def _rate(value: float | None) -> Decimal | None:
    if value is None or not np.isfinite(value):
        return None
    return to_rate(float(value))


def _episodes(dates: Sequence[date], growth: Floats, end: date) -> list[Drawdown]:
    """Every drawdown: from a high, down, and back to it (or still under it at the end)."""
    found: list[Drawdown] = []
    peak_at, peak = 0, growth[0]
    trough_at = 0
    under = False
    for k in range(1, len(growth)):
        value = growth[k]
        if value >= peak * (1 - _RECOVERED):
            if under:
                found.append(_drawdown(dates, growth, peak_at, trough_at, k, end))
                under = False
            if value >= peak:
                peak_at, peak = k, value
            trough_at = k
        else:
            if not under or value < growth[trough_at]:
                trough_at = k
            under = True
    if under:
        found.append(_drawdown(dates, growth, peak_at, trough_at, None, end))
    return found


def _drawdown(
    dates: Sequence[date],
    growth: Floats,
    peak: int,
    trough: int,
    recovery: int | None,
    end: date,
) -> Drawdown:
    depth = float(growth[trough] / growth[peak] - 1.0)
    until = dates[recovery] if recovery is not None else end
    return Drawdown(
        depth=to_rate(depth),
        peak=dates[peak],
        trough=dates[trough],
        recovery=dates[recovery] if recovery is not None else None,
        days=(until - dates[peak]).days,
    )


def monthly_returns(series: ReturnSeries) -> list[tuple[date, float]]:
    if not series.dates:
        return []
    months = [(d.year, d.month) for d in series.dates]
    starts = [0, *(k for k in range(1, len(months)) if months[k] != months[k - 1])]
    growth = np.multiply.reduceat(1.0 + series.returns, starts)
    return [(date(*months[k], 1), float(g) - 1.0) for k, g in zip(starts, growth, strict=True)]


def _best(series: ReturnSeries, best: bool) -> DatedReturn | None:
    if not series.dates:
        return None
    k = int(np.argmax(series.returns) if best else np.argmin(series.returns))
    return DatedReturn(series.dates[k], to_rate(float(series.returns[k])))


def _extreme(pairs: Sequence[tuple[date, float]], best: bool) -> DatedReturn | None:
    if not pairs:
        return None
    chosen = max(pairs, key=lambda p: p[1]) if best else min(pairs, key=lambda p: p[1])
    return DatedReturn(chosen[0], to_rate(chosen[1]))


def risk_figures(series: ReturnSeries, risk_free: RiskFreeRate | None = None) -> RiskFigures:
    rf = risk_free or RiskFreeRate()
    r = series.returns
    n = len(r)
    root = np.sqrt(TRADING_DAYS_PER_YEAR)
    volatility = sharpe = sortino = downside = None
    if n >= 2:
        excess = r - rf.daily(series.dates)
        volatility = float(np.std(r, ddof=1) * root)
        spread = float(np.std(excess, ddof=1))
        mean_excess = float(np.mean(excess))
        sharpe = mean_excess / spread * root if spread > _NOISE else None
        downside = float(np.sqrt(np.sum(np.minimum(excess, 0.0) ** 2) / n) * root)
        sortino = mean_excess * TRADING_DAYS_PER_YEAR / downside if downside > _NOISE else None
    dates = (series.start, *series.dates)
    growth = np.concatenate(([1.0], series.growth))
    episodes = _episodes(dates, growth, series.end)
    deepest = min(episodes, key=lambda e: (e.depth, e.peak), default=None)
    longest = max(episodes, key=lambda e: (e.days, -e.peak.toordinal()), default=None)
    high = float(np.max(growth))
    cumulative = series.cumulative
    annualized = annualize(cumulative, (series.end - series.start).days)
    months = monthly_returns(series)
    return RiskFigures(
        start=series.start,
        end=series.end,
        observations=n,
        cumulative_return=to_rate(cumulative),
        annualized_return=_rate(annualized),
        risk_free_rate=to_rate(rf.average(series.dates)),
        volatility=_rate(volatility),
        downside_deviation=_rate(downside),
        sharpe=_rate(sharpe),
        sortino=_rate(sortino),
        max_drawdown=deepest,
        longest_drawdown=longest,
        current_drawdown=to_rate(float(growth[-1] / high - 1.0)) if high > 0 else Decimal(0),
        best_day=_best(series, best=True),
        worst_day=_best(series, best=False),
        best_month=_extreme(months, best=True),
        worst_month=_extreme(months, best=False),
    )


def drawdown_series(series: ReturnSeries) -> list[tuple[date, float]]:
    """``DD`` at the start (0) and at every trading day, for charts."""
    growth = np.concatenate(([1.0], series.growth))
    running = np.maximum.accumulate(growth)
    depth = growth / np.where(running > 0, running, 1.0) - 1.0
    return list(zip((series.start, *series.dates), (float(x) for x in depth), strict=True))
