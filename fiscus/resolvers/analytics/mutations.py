"""Analytics mutations: ``runBacktest`` (analysts and above: ``ANALYTICS_RUN``) and
``updateAnalyticsSettings`` (the organization's risk-free rate: ``ORG_UPDATE``)."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.types import Info

from fiscus.domain.identity import Permission
from fiscus.resolvers.portfolios import ids
from fiscus.schema.analytics import inputs as io
from fiscus.schema.analytics.backtests import (
    AnalyticsSettings,
    AnalyticsSettingsSuccess,
    Backtest,
    BacktestRun,
    RunBacktestResult,
    UpdateAnalyticsSettingsResult,
)
from fiscus.schema.errors import attempt
from fiscus.schema.permissions import requires
from fiscus.services.analytics import risk_free
from fiscus.services.backtesting import runs
from fiscus.services.backtesting.requests import (
    AllocationInput,
    BacktestInput,
    StrategyInput,
)


def backtest_input(raw: io.RunBacktestInput) -> BacktestInput:
    zero = Decimal(0)
    return BacktestInput(
        start=raw.start,
        end=raw.end,
        name=raw.name,
        currency=raw.currency,
        risk_free_rate=raw.risk_free_rate,
        compare_portfolio_id=ids.portfolio_id(raw.compare_portfolio_id, "comparePortfolioId")
        if raw.compare_portfolio_id is not None
        else None,
        strategies=[
            StrategyInput(
                name=s.name,
                kind=s.kind,
                allocations=[AllocationInput(a.symbol, a.weight) for a in s.allocations],
                initial_cash=s.initial_cash,
                contribution=s.contribution,
                contribution_frequency=s.contribution_frequency,
                rebalance_frequency=s.rebalance_frequency,
                drift_band=s.drift_band,
                dca_amount=s.dca_amount,
                dca_frequency=s.dca_frequency,
                fee_fixed=s.fees.fixed if s.fees else zero,
                fee_rate=s.fees.rate if s.fees else zero,
                whole_shares=s.whole_shares,
                reinvest_dividends=s.reinvest_dividends,
            )
            for s in raw.strategies
        ],
    )


@strawberry.type
class AnalyticsMutation:
    @strawberry.mutation(
        description="Queues a backtest (or joins the identical one queued or running); "
        "follow it with backtestProgress(runId:).",
        permission_classes=[requires(Permission.ANALYTICS_RUN)],
    )
    async def run_backtest(self, info: Info, input: io.RunBacktestInput) -> RunBacktestResult:
        principal = await info.context.require_principal()

        async def run() -> BacktestRun:
            done = await runs.submit(info.context.portfolios, principal, backtest_input(input))
            return BacktestRun(backtest=Backtest.from_domain(done.backtest), shared=done.shared)

        return await attempt(run)

    @strawberry.mutation(
        description="The risk-free rate of Sharpe and Sortino ratios: a constant or an "
        "instrument (closes in percent); neither resets it to 0.",
        permission_classes=[requires(Permission.ORG_UPDATE)],
    )
    async def update_analytics_settings(
        self, info: Info, input: io.UpdateAnalyticsSettingsInput
    ) -> UpdateAnalyticsSettingsResult:
        principal = await info.context.require_principal()

        async def run() -> AnalyticsSettingsSuccess:
            found = await risk_free.update_settings(
                info.context.portfolios,
                principal,
                risk_free_rate=input.risk_free_rate,
                risk_free_symbol=input.risk_free_symbol,
            )
            return AnalyticsSettingsSuccess(
                settings=AnalyticsSettings(
                    risk_free_rate=found.risk_free_rate, risk_free_symbol=found.risk_free_symbol
                )
            )

        return await attempt(run)
