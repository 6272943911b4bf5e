"""Market-data queries and mutations."""

from fiscus.resolvers.marketdata.mutations import MarketDataMutation
from fiscus.resolvers.marketdata.queries import MarketDataQuery

__all__ = ["MarketDataMutation", "MarketDataQuery"]
