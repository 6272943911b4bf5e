"""Valuing the books with market data: daily series (portfolio, holding, organization)
and today's holdings."""

from fiscus.domain.portfolios.valuation.history import FxHistory, PriceHistory
from fiscus.domain.portfolios.valuation.holdings import HoldingValue, holdings
from fiscus.domain.portfolios.valuation.series import (
    Recomputation,
    ValuationPoint,
    combine,
    daily_valuation,
    recompute,
)

__all__ = [
    "FxHistory",
    "HoldingValue",
    "PriceHistory",
    "Recomputation",
    "ValuationPoint",
    "combine",
    "daily_valuation",
    "holdings",
    "recompute",
]
