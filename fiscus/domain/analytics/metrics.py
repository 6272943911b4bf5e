"""The figures every series gets, live portfolio or backtest alike: the period's
performance (TWR, XIRR, attribution: ``portfolios.returns.performance``) and its risk
(``risk.risk_figures`` on the trading-day returns)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from fiscus.domain.analytics.returns import ReturnSeries, daily_returns
from fiscus.domain.analytics.risk import RiskFigures, RiskFreeRate, risk_figures
from fiscus.domain.portfolios.returns import Performance, performance
from fiscus.domain.portfolios.valuation import ValuationPoint


@dataclass(frozen=True, slots=True)
class SeriesMetrics:
    performance: Performance
    risk: RiskFigures
    returns: ReturnSeries


def series_metrics(
    points: Sequence[ValuationPoint],
    start: date,
    end: date,
    risk_free: RiskFreeRate | None = None,
) -> SeriesMetrics:
    returns = daily_returns(points, start, end)
    return SeriesMetrics(
        performance(points, start=start, end=end), risk_figures(returns, risk_free), returns
    )
