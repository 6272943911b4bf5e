"""Risk, benchmarks and concentration of valuation series (issue 7). The formulas are in
each module's docstring and in docs/ANALYTICS.md."""

from fiscus.domain.analytics.benchmark import (
    Closes,
    ComparisonPoint,
    NoBenchmarkPrice,
    RelativeFigures,
    benchmark_returns,
    comparison_series,
    relative_figures,
    what_if,
)
from fiscus.domain.analytics.concentration import Concentration, Weight, concentration
from fiscus.domain.analytics.intervals import SeriesInterval, thin
from fiscus.domain.analytics.metrics import SeriesMetrics, series_metrics
from fiscus.domain.analytics.returns import (
    TRADING_DAYS_PER_YEAR,
    ReturnSeries,
    calendar_growth,
    daily_returns,
    is_trading_day,
)
from fiscus.domain.analytics.risk import (
    DatedReturn,
    Drawdown,
    RiskFigures,
    RiskFreeRate,
    drawdown_series,
    monthly_returns,
    risk_figures,
)

__all__ = [
    "TRADING_DAYS_PER_YEAR",
    "Closes",
    "ComparisonPoint",
    "Concentration",
    "DatedReturn",
    "Drawdown",
    "NoBenchmarkPrice",
    "RelativeFigures",
    "ReturnSeries",
    "RiskFigures",
    "RiskFreeRate",
    "SeriesInterval",
    "SeriesMetrics",
    "Weight",
    "benchmark_returns",
    "calendar_growth",
    "comparison_series",
    "concentration",
    "daily_returns",
    "drawdown_series",
    "is_trading_day",
    "monthly_returns",
    "relative_figures",
    "risk_figures",
    "series_metrics",
    "thin",
    "what_if",
]
