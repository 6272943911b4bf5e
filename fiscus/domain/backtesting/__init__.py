"""Backtesting strategies on stored daily closes (issue 7): buy-and-hold, periodic
rebalancing (with an optional drift band) and dollar-cost averaging, with contributions or
withdrawals, fees, whole or fractional shares and dividends reinvested or kept."""

from fiscus.domain.backtesting.backtest import (
    StrategyResult,
    check_dates,
    measured_period,
    run_backtest,
)
from fiscus.domain.backtesting.engine import (
    MissingPrice,
    StrategyRun,
    run_strategy,
    trading_calendar,
)
from fiscus.domain.backtesting.model import (
    Allocation,
    FeeModel,
    FinalHolding,
    Frequency,
    InstrumentPrices,
    Side,
    Strategy,
    StrategyKind,
    Trade,
    TradeReason,
    check_strategies,
)

__all__ = [
    "Allocation",
    "FeeModel",
    "FinalHolding",
    "Frequency",
    "InstrumentPrices",
    "MissingPrice",
    "Side",
    "Strategy",
    "StrategyKind",
    "StrategyResult",
    "StrategyRun",
    "Trade",
    "TradeReason",
    "check_dates",
    "check_strategies",
    "measured_period",
    "run_backtest",
    "run_strategy",
    "trading_calendar",
]
