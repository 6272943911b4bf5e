from fiscus.resolvers.portfolios.mutations import PortfolioMutation
from fiscus.resolvers.portfolios.queries import PortfolioQuery

__all__ = ["PortfolioMutation", "PortfolioQuery"]
