"""Inputs of the analytics mutations: ``runBacktest`` and ``updateAnalyticsSettings``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from fiscus.schema.analytics.enums import Frequency, StrategyKind


@strawberry.input
class BacktestAllocationInput:
    symbol: str
    weight: Decimal = strawberry.field(description="Target weight, 0..1; they sum to 1.")


@strawberry.input(description="Per trade: fixed + rate x the trade's value.")
class BacktestFeesInput:
    fixed: Decimal = Decimal(0)
    rate: Decimal = strawberry.field(default=Decimal(0), description="0.001 = 0.1 %.")


@strawberry.input
class BacktestStrategyInput:
    name: str
    kind: StrategyKind
    allocations: list[BacktestAllocationInput]
    initial_cash: Decimal
    contribution: Decimal = strawberry.field(
        default=Decimal(0),
        description="Paid in (> 0) or taken out (< 0) on the first trading day of each "
        "contributionFrequency period.",
    )
    contribution_frequency: Frequency = Frequency.MONTHLY
    rebalance_frequency: Frequency | None = strawberry.field(
        default=None, description="REBALANCE: required."
    )
    drift_band: Decimal | None = strawberry.field(
        default=None,
        description="REBALANCE: only when a weight strays more than this (0.05: 5 points).",
    )
    dca_amount: Decimal = strawberry.field(
        default=Decimal(0), description="DCA: invested from cash each dcaFrequency period."
    )
    dca_frequency: Frequency = Frequency.MONTHLY
    fees: BacktestFeesInput | None = None
    whole_shares: bool = False
    reinvest_dividends: bool = True


@strawberry.input
class RunBacktestInput:
    start: date
    end: date
    strategies: list[BacktestStrategyInput]
    name: str | None = None
    currency: str | None = strawberry.field(
        default=None,
        description="Default: the compared portfolio's base currency, else USD.",
    )
    risk_free_rate: Decimal | None = strawberry.field(
        default=None, description="Annual; default: the organization's."
    )
    compare_portfolio_id: strawberry.ID | None = strawberry.field(
        default=None, description="A portfolio measured over the same period."
    )


@strawberry.input
class UpdateAnalyticsSettingsInput:
    risk_free_rate: Decimal | None = None
    risk_free_symbol: str | None = None
