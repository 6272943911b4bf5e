"""Risk, benchmark comparisons and concentration of a portfolio, a holding or the whole
organization (the formulas: ``fiscus.domain.analytics``, docs/ANALYTICS.md). The series
come from ``series`` (same periods as ``performance``); the computation runs off the event
loop for long series."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from fiscus.domain.analytics import (
    Closes,
    ComparisonPoint,
    Concentration,
    RelativeFigures,
    ReturnSeries,
    RiskFigures,
    RiskFreeRate,
    calendar_growth,
    comparison_series,
    concentration,
    daily_returns,
    relative_figures,
    risk_figures,
    what_if,
)
from fiscus.domain.errors import ErrorCode, FieldIssue, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.marketdata import Instrument
from fiscus.domain.portfolios.portfolio import Portfolio
from fiscus.domain.portfolios.returns import Performance, performance
from fiscus.domain.portfolios.valuation import ValuationPoint
from fiscus.services.analytics.market import instrument_closes
from fiscus.services.analytics.risk_free import risk_free_rate
from fiscus.services.analytics.series import (
    MeasuredSeries,
    Window,
    organization_series,
    portfolio_series,
)
from fiscus.services.portfolios import pricing
from fiscus.services.portfolios.context import PortfolioContext
from fiscus.services.portfolios.marks import valuations

_RATIO = Decimal(1).scaleb(-10)
_CENT = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class RiskReport:
    currency: str
    figures: RiskFigures
    returns: ReturnSeries
    portfolios: tuple[Portfolio, ...]
    """Whose holdings the concentration is about (none for a holding's risk)."""


@dataclass(frozen=True, slots=True)
class BenchmarkReport:
    instrument: Instrument
    currency: str
    start: date
    end: date
    relative: RelativeFigures
    series: list[ComparisonPoint]
    what_if: list[ValuationPoint]
    what_if_performance: Performance
    actual_performance: Performance


def _measure_risk(measured: MeasuredSeries, rf: RiskFreeRate) -> tuple[RiskFigures, ReturnSeries]:
    returns = daily_returns(measured.points, measured.start, measured.end)
    return risk_figures(returns, rf), returns


async def _risk(
    ctx: PortfolioContext,
    principal: Principal,
    measured: MeasuredSeries,
    asked_rate: Decimal | None,
    portfolios: tuple[Portfolio, ...],
) -> RiskReport:
    rf = await risk_free_rate(ctx, principal, asked_rate, measured.start, measured.end)
    figures, returns = await ctx.offload(len(measured.points), lambda: _measure_risk(measured, rf))
    return RiskReport(measured.currency, figures, returns, portfolios)


async def portfolio_risk(
    ctx: PortfolioContext,
    principal: Principal,
    portfolio: Portfolio,
    window: Window,
    *,
    risk_free: Decimal | None,
    holding: str | None,
) -> RiskReport:
    measured = await portfolio_series(ctx, principal, portfolio, window, holding)
    return await _risk(
        ctx, principal, measured, risk_free, () if holding is not None else (portfolio,)
    )


async def organization_risk(
    ctx: PortfolioContext,
    principal: Principal,
    window: Window,
    *,
    currency: str | None,
    risk_free: Decimal | None,
) -> RiskReport | None:
    measured = await organization_series(ctx, principal, window, currency)
    if measured is None:
        return None
    return await _risk(ctx, principal, measured, risk_free, measured.portfolios)


def _compare(
    measured: MeasuredSeries, closes: Closes
) -> tuple[RelativeFigures, list[ComparisonPoint], list[ValuationPoint], Performance, Performance]:
    start, end = measured.start, measured.end
    returns = daily_returns(measured.points, start, end)
    relative = relative_figures(returns, closes)
    chart = comparison_series(calendar_growth(measured.points, start, end), closes)
    instead = what_if(measured.points, start, end, closes)
    return (
        relative,
        chart,
        instead,
        performance(instead, start=start, end=end),
        performance(measured.points, start=start, end=end),
    )


async def _benchmark(
    ctx: PortfolioContext, principal: Principal, measured: MeasuredSeries, symbol: str
) -> BenchmarkReport:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        instrument, closes = await instrument_closes(
            reads, symbol, measured.currency, measured.start, measured.end, field="symbol"
        )
    relative, chart, instead, instead_perf, actual = await ctx.offload(
        len(measured.points), lambda: _compare(measured, closes)
    )
    return BenchmarkReport(
        instrument,
        measured.currency,
        measured.start,
        measured.end,
        relative,
        chart,
        instead,
        instead_perf,
        actual,
    )


async def portfolio_benchmark(
    ctx: PortfolioContext, principal: Principal, portfolio: Portfolio, window: Window, symbol: str
) -> BenchmarkReport:
    measured = await portfolio_series(ctx, principal, portfolio, window)
    return await _benchmark(ctx, principal, measured, symbol)


async def organization_benchmark(
    ctx: PortfolioContext,
    principal: Principal,
    window: Window,
    *,
    symbol: str,
    currency: str | None,
) -> BenchmarkReport | None:
    measured = await organization_series(ctx, principal, window, currency)
    if measured is None:
        return None
    return await _benchmark(ctx, principal, measured, symbol)


@dataclass(frozen=True, slots=True)
class Exposure:
    key: str
    value: Decimal
    weight: Decimal


@dataclass(frozen=True, slots=True)
class ConcentrationReport:
    concentration: Concentration
    by_kind: list[Exposure]
    by_currency: list[Exposure]


def _exposures(totals: dict[str, Decimal]) -> list[Exposure]:
    whole = sum(totals.values(), Decimal(0))
    return sorted(
        (
            Exposure(
                key,
                value,
                (value / whole).quantize(_RATIO, ROUND_HALF_EVEN) if whole else Decimal(0),
            )
            for key, value in totals.items()
        ),
        key=lambda e: (-e.value, e.key),
    )


async def concentration_of(
    ctx: PortfolioContext,
    principal: Principal,
    portfolios: Sequence[Portfolio],
    currency: str,
    top: int,
) -> ConcentrationReport:
    """Today's holdings of ``portfolios`` in ``currency`` (today's rate): concentration of
    the invested value by instrument; exposure by kind and by instrument currency of the
    whole value, cash included (``cash`` / the portfolio's base currency)."""
    today = ctx.clock().date()
    marked = await valuations(ctx, principal, portfolios)
    valued = {pid: marked_one.holdings for pid, marked_one in marked.items()}
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        table = await pricing.fx_table(
            reads, currency, {p.base_currency for p in portfolios}, today, today
        )
    by_symbol: dict[str, Decimal] = defaultdict(Decimal)
    by_kind: dict[str, Decimal] = defaultdict(Decimal)
    by_currency: dict[str, Decimal] = defaultdict(Decimal)
    for portfolio in portfolios:
        rate = table.try_rate(portfolio.base_currency, today)
        if rate is None:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "currency",
                        ErrorCode.NOT_FOUND,
                        f"No FX rate for {portfolio.base_currency}/{currency} today.",
                    )
                ]
            )
        for row in valued.get(portfolio.id, []):
            value = (row.value.market_value * rate).quantize(_CENT, ROUND_HALF_EVEN)
            instrument = row.instrument
            by_symbol[instrument.symbol if instrument else str(row.value.instrument_id)] += value
            by_kind[instrument.kind.value if instrument else "other"] += value
            by_currency[instrument.currency if instrument else portfolio.base_currency] += value
        if portfolio.cash:
            cash = (portfolio.cash * rate).quantize(_CENT, ROUND_HALF_EVEN)
            by_kind["cash"] += cash
            by_currency[portfolio.base_currency] += cash
    return ConcentrationReport(
        concentration(sorted(by_symbol.items()), top),
        _exposures(by_kind),
        _exposures(by_currency),
    )
