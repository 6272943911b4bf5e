"""Returns over a period: time-weighted, money-weighted (XIRR) and the gain's attribution."""

from fiscus.domain.portfolios.returns.performance import Performance, performance
from fiscus.domain.portfolios.returns.periods import PERIODS, resolve_period
from fiscus.domain.portfolios.returns.twr import TwrResult, time_weighted_return
from fiscus.domain.portfolios.returns.xirr import XirrResult, xirr

__all__ = [
    "PERIODS",
    "Performance",
    "TwrResult",
    "XirrResult",
    "performance",
    "resolve_period",
    "time_weighted_return",
    "xirr",
]
