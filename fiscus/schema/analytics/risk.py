"""Risk and benchmark fields of ``Portfolio`` and ``OrganizationPortfolioSummary``
(attached there as ``risk`` / ``benchmark``). Periods follow ``performance``: a named
``period`` or ``from``/``to`` (default: since the start)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Protocol

import strawberry
from strawberry.types import Info

from fiscus.domain.analytics import thin
from fiscus.domain.portfolios.portfolio import Portfolio as DomainPortfolio
from fiscus.schema.analytics.enums import SeriesInterval
from fiscus.schema.analytics.figures import (
    RiskFigures,
    RiskPoint,
    answer,
    index,
    rate,
    risk_points,
)
from fiscus.schema.marketdata import Instrument
from fiscus.services.analytics import risk as service
from fiscus.services.analytics.series import Window
from fiscus.services.portfolios.valuation import Period

From = Annotated[date | None, strawberry.argument(name="from")]
MAX_TOP = 100


class PortfolioSource(Protocol):
    source: DomainPortfolio


class SummarySource(Protocol):
    currency: str


@strawberry.type
class HoldingWeight:
    symbol: str
    value: Decimal
    weight: Decimal = strawberry.field(description="Of the invested value (cash excluded).")


@strawberry.type
class Exposure:
    key: str
    value: Decimal
    weight: Decimal = strawberry.field(description="Of the whole value, cash included.")


@strawberry.type(description="Today's holdings: how concentrated, and in what.")
class Concentration:
    holdings: int
    herfindahl: Decimal = strawberry.field(description="Sum of squared weights (1: one holding).")
    effective_holdings: Decimal | None = strawberry.field(description="1 / herfindahl.")
    top: list[HoldingWeight]
    by_kind: list[Exposure]
    by_currency: list[Exposure]


@strawberry.type(description="Risk figures, their chart, and today's concentration.")
class PortfolioRisk(RiskFigures):
    report: strawberry.Private[service.RiskReport]

    @classmethod
    def of(cls, report: service.RiskReport) -> PortfolioRisk:
        return cls(report=report, **RiskFigures.values(report.figures, report.currency))  # type: ignore[arg-type]

    @strawberry.field(description="One point per trading day (or the last of each week/month).")
    def series(self, interval: SeriesInterval = SeriesInterval.DAY) -> list[RiskPoint]:
        return risk_points(self.report.returns, interval)

    @strawberry.field(description="Null for a single holding's risk.")
    async def concentration(self, info: Info, top: int = 10) -> Concentration | None:
        if not self.report.portfolios:
            return None
        top = max(0, min(top, MAX_TOP))
        principal = await info.context.require_principal()
        found = await answer(
            lambda: service.concentration_of(
                info.context.portfolios, principal, self.report.portfolios, self.currency, top
            ),
            "top",
        )
        c = found.concentration
        return Concentration(
            holdings=c.holdings,
            herfindahl=c.herfindahl,
            effective_holdings=c.effective_holdings,
            top=[HoldingWeight(symbol=w.key, value=w.value, weight=w.weight) for w in c.top],
            by_kind=[Exposure(key=e.key, value=e.value, weight=e.weight) for e in found.by_kind],
            by_currency=[
                Exposure(key=e.key, value=e.value, weight=e.weight) for e in found.by_currency
            ],
        )


@strawberry.type
class BenchmarkPoint:
    date: date
    portfolio: Decimal = strawberry.field(description="Cumulative TWR rebased to 100.")
    benchmark: Decimal = strawberry.field(description="The benchmark's close rebased to 100.")
    excess: Decimal = strawberry.field(description="Cumulative return minus the benchmark's.")


@strawberry.type
class WhatIfPoint:
    date: date
    value: Decimal = strawberry.field(description="Had every flow gone into the benchmark.")
    net_flow: Decimal


@strawberry.type(description="The same external flows invested in the benchmark instead.")
class WhatIfBenchmark:
    end_value: Decimal
    actual_end_value: Decimal
    difference: Decimal = strawberry.field(description="actualEndValue - endValue.")
    net_flows: Decimal
    twr: Decimal
    xirr: Decimal | None
    actual_xirr: Decimal | None
    report: strawberry.Private[service.BenchmarkReport]

    @strawberry.field
    def series(self, interval: SeriesInterval = SeriesInterval.DAY) -> list[WhatIfPoint]:
        points = thin(self.report.what_if, lambda p: p.date, interval)
        return [
            WhatIfPoint(date=p.date, value=p.value, net_flow=p.inflow - p.outflow) for p in points
        ]


@strawberry.type(description="The portfolio beside a benchmark over the same trading days.")
class BenchmarkComparison:
    instrument: Instrument
    currency: str = strawberry.field(description="Closes converted at each day's rate.")
    from_: date = strawberry.field(name="from")
    to: date
    portfolio_return: Decimal
    benchmark_return: Decimal
    excess_return: Decimal
    beta: Decimal | None
    correlation: Decimal | None
    tracking_error: Decimal | None
    information_ratio: Decimal | None
    what_if: WhatIfBenchmark
    report: strawberry.Private[service.BenchmarkReport]

    @classmethod
    def of(cls, r: service.BenchmarkReport) -> BenchmarkComparison:
        f = r.relative
        instead, actual = r.what_if_performance, r.actual_performance
        return cls(
            instrument=Instrument.from_domain(r.instrument),
            currency=r.currency,
            from_=r.start,
            to=r.end,
            portfolio_return=f.portfolio_return,
            benchmark_return=f.benchmark_return,
            excess_return=f.excess_return,
            beta=f.beta,
            correlation=f.correlation,
            tracking_error=f.tracking_error,
            information_ratio=f.information_ratio,
            what_if=WhatIfBenchmark(
                end_value=instead.end_value,
                actual_end_value=actual.end_value,
                difference=actual.end_value - instead.end_value,
                net_flows=instead.net_flows,
                twr=instead.twr,
                xirr=instead.xirr,
                actual_xirr=actual.xirr,
                report=r,
            ),
            report=r,
        )

    @strawberry.field(description="One point per day (or the last of each week/month).")
    def series(self, interval: SeriesInterval = SeriesInterval.DAY) -> list[BenchmarkPoint]:
        rows = thin(self.report.series, lambda p: p.date, interval)
        return [
            BenchmarkPoint(
                date=p.date,
                portfolio=index(p.portfolio),
                benchmark=index(p.benchmark),
                excess=rate(p.excess),
            )
            for p in rows
        ]


async def _portfolio_risk(
    root: PortfolioSource,
    info: Info,
    period: Period | None = None,
    from_: From = None,
    to: date | None = None,
    risk_free_rate: Decimal | None = None,
    holding: str | None = None,
) -> PortfolioRisk:
    principal = await info.context.require_principal()
    report = await answer(
        lambda: service.portfolio_risk(
            info.context.portfolios,
            principal,
            root.source,
            Window(period, from_, to),
            risk_free=risk_free_rate,
            holding=holding,
        ),
        "from",
    )
    return PortfolioRisk.of(report)


async def _portfolio_benchmark(
    root: PortfolioSource,
    info: Info,
    symbol: str,
    period: Period | None = None,
    from_: From = None,
    to: date | None = None,
) -> BenchmarkComparison:
    principal = await info.context.require_principal()
    report = await answer(
        lambda: service.portfolio_benchmark(
            info.context.portfolios, principal, root.source, Window(period, from_, to), symbol
        ),
        "symbol",
    )
    return BenchmarkComparison.of(report)


async def _organization_risk(
    root: SummarySource,
    info: Info,
    period: Period | None = None,
    from_: From = None,
    to: date | None = None,
    risk_free_rate: Decimal | None = None,
) -> PortfolioRisk | None:
    principal = await info.context.require_principal()
    report = await answer(
        lambda: service.organization_risk(
            info.context.portfolios,
            principal,
            Window(period, from_, to),
            currency=root.currency,
            risk_free=risk_free_rate,
        ),
        "from",
    )
    return PortfolioRisk.of(report) if report is not None else None


async def _organization_benchmark(
    root: SummarySource,
    info: Info,
    symbol: str,
    period: Period | None = None,
    from_: From = None,
    to: date | None = None,
) -> BenchmarkComparison | None:
    principal = await info.context.require_principal()
    report = await answer(
        lambda: service.organization_benchmark(
            info.context.portfolios,
            principal,
            Window(period, from_, to),
            symbol=symbol,
            currency=root.currency,
        ),
        "symbol",
    )
    return BenchmarkComparison.of(report) if report is not None else None


# Factories, called in the owning type's body: the fields' argument types (the
# ``PerformancePeriod`` enum) resolve only once that module has registered them.


def portfolio_risk() -> Any:
    return strawberry.field(
        resolver=_portfolio_risk,
        description="Risk of the portfolio (or of one `holding`, by symbol) over a period; "
        "`riskFreeRate` (annual) overrides the organization's.",
    )


def portfolio_benchmark() -> Any:
    return strawberry.field(
        resolver=_portfolio_benchmark,
        description="The portfolio beside the instrument `symbol` (an index ETF, a currency, "
        "a manual series) over a period.",
    )


def organization_risk() -> Any:
    return strawberry.field(
        resolver=_organization_risk,
        description="Risk of every portfolio together, in the summary's currency.",
    )


def organization_benchmark() -> Any:
    return strawberry.field(
        resolver=_organization_benchmark,
        description="Every portfolio together beside the instrument `symbol`.",
    )
