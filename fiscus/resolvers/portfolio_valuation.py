"""portfolioValuation: a portfolio marked to market, live.

Over the WebSocket transport every subscription with the same document and variables from
members of one organization with one role shares ONE execution (``ROLE_SCOPE``): the
permission class and this resolver run for the first of them, and each valuation is
serialised once for all their sockets. The process's ``PortfolioValuations`` engine values
the portfolio once per batch of ticks for every execution watching it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain.identity import Permission
from fiscus.schema.permissions import requires
from fiscus.schema.portfolio_valuation import PortfolioValuation
from fiscus.schema.relay import parse_global_id
from fiscus.services.portfolios.live import PortfolioNotFound

# Read by the WebSocket transport (which sits above this layer, so no import): the result
# is the same for every member of the organization with the same role.
ROLE_SCOPE = {"fiscus_realtime_scope": "role"}


def portfolio_not_found() -> GraphQLError:
    return GraphQLError(
        "No portfolio with this id.",
        extensions={"code": "NOT_FOUND", "field": "portfolioId"},
    )


@strawberry.type
class PortfolioValuationSubscription:
    @strawberry.subscription(
        description="The portfolio marked to market at once, then again as its instruments "
        "tick (at most a few times a second) and whenever its transactions change.",
        permission_classes=[requires(Permission.PORTFOLIO_READ)],
        metadata=ROLE_SCOPE,
    )
    async def portfolio_valuation(
        self, info: Info, portfolio_id: strawberry.ID
    ) -> AsyncGenerator[PortfolioValuation, None]:
        principal = await info.context.require_principal()
        raw_id = parse_global_id(portfolio_id, "Portfolio", field="portfolioId")
        if raw_id is None:
            raise portfolio_not_found()
        try:
            async with info.context.valuations.watch(principal.org_id, raw_id) as stream:
                async for valuation in stream:
                    yield PortfolioValuation.from_domain(valuation)
        except PortfolioNotFound:
            raise portfolio_not_found() from None
