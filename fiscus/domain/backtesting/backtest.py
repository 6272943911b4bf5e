"""A backtest: several strategies over one calendar, each measured by the same functions
as a live portfolio (``analytics.metrics.series_metrics``). A strategy's period starts the
evening before its first trading day, with nothing invested, so the initial cash is the
first day's inflow (XIRR counts it; TWR's first day includes the fees of the first buys)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from fiscus.domain.analytics.metrics import SeriesMetrics, series_metrics
from fiscus.domain.analytics.risk import RiskFreeRate
from fiscus.domain.backtesting.engine import (
    Progress,
    StrategyRun,
    run_strategy,
    trading_calendar,
)
from fiscus.domain.backtesting.model import InstrumentPrices, Strategy, check_strategies
from fiscus.domain.errors import ErrorCode, FieldIssue, ValidationFailed


@dataclass(frozen=True, slots=True)
class StrategyResult:
    run: StrategyRun
    metrics: SeriesMetrics


def check_dates(start: date, end: date, today: date) -> None:
    if start >= end:
        raise ValidationFailed(
            [FieldIssue("start", ErrorCode.INVALID, "start must be before end.")]
        )
    if end > today:
        raise ValidationFailed([FieldIssue("end", ErrorCode.INVALID, "end is in the future.")])


def measured_period(run: StrategyRun) -> tuple[date, date]:
    return run.points[0].date - timedelta(days=1), run.points[-1].date


def run_backtest(
    strategies: Sequence[Strategy],
    market: Mapping[UUID, InstrumentPrices],
    start: date,
    end: date,
    *,
    risk_free: RiskFreeRate | None = None,
    progress: Progress | None = None,
) -> list[StrategyResult]:
    """``progress(done, total)`` counts simulated days over every strategy."""
    check_strategies(strategies)
    calendar = trading_calendar(market.values(), start, end)
    if not calendar:
        raise ValidationFailed(
            [FieldIssue("start", ErrorCode.NO_PRICES, "No instrument has a close in the range.")]
        )
    total = len(calendar) * len(strategies)
    results = []
    for n, strategy in enumerate(strategies):
        offset = n * len(calendar)

        def report(done: int, _: int, offset: int = offset) -> None:
            if progress is not None:
                progress(offset + done, total)

        run = run_strategy(strategy, market, calendar, report)
        first, last = measured_period(run)
        results.append(StrategyResult(run, series_metrics(run.points, first, last, risk_free)))
    return results
