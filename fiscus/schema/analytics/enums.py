"""The analytics enums, registered with their GraphQL names before any type uses them."""

from __future__ import annotations

import strawberry

from fiscus.domain.analytics import SeriesInterval
from fiscus.domain.backtesting import Frequency, Side, StrategyKind, TradeReason
from fiscus.domain.backtesting.records import BacktestStatus

strawberry.enum(SeriesInterval, name="SeriesInterval")
strawberry.enum(StrategyKind, name="BacktestStrategyKind")
strawberry.enum(Frequency, name="BacktestFrequency")
strawberry.enum(BacktestStatus, name="BacktestStatus")
strawberry.enum(Side, name="BacktestTradeSide")
strawberry.enum(TradeReason, name="BacktestTradeReason")

__all__ = ["BacktestStatus", "Frequency", "SeriesInterval", "Side", "StrategyKind", "TradeReason"]
