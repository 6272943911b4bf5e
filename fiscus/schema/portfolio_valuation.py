"""``portfolioValuation``'s payload: a portfolio marked to market with its holdings (the same
``Holding`` type as ``Portfolio.holdings``). Every field is a plain attribute computed once
per valuation by ``services.portfolios.marks``, and each valuation is serialised once for
every socket sharing the subscription."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import strawberry

from fiscus.domain.marketdata import Instrument as DomainInstrument
from fiscus.schema.limits import HOLDINGS_COST, list_cost
from fiscus.schema.marketdata import Instrument
from fiscus.schema.portfolios.types import Holding
from fiscus.schema.relay import to_global_id
from fiscus.services.portfolios import marks


@strawberry.type(description="A portfolio marked to market; amounts in its base currency.")
class PortfolioValuation:
    portfolio_id: strawberry.ID
    base_currency: str
    cash: Decimal
    market_value: Decimal = strawberry.field(description="Of the holdings, cash excluded.")
    cost_basis: Decimal
    unrealized_gain: Decimal
    day_change: Decimal = strawberry.field(description="Sum of the holdings' known dayChange.")
    total_value: Decimal = strawberry.field(description="marketValue + cash")
    as_of: datetime | None = strawberry.field(
        description="The newest live tick reflected; null when only stored closes were used."
    )
    holdings: list[Holding] = strawberry.field(
        description="Largest market value first.", metadata=list_cost(HOLDINGS_COST)
    )

    @classmethod
    def from_domain(cls, valuation: marks.PortfolioValuation) -> PortfolioValuation:
        instruments: dict[UUID, Instrument] = {}

        def instrument(found: DomainInstrument | None) -> Instrument | None:
            if found is None:
                return None
            converted = instruments.get(found.id)
            if converted is None:
                converted = instruments[found.id] = Instrument.from_domain(found)
            return converted

        return cls(
            portfolio_id=to_global_id("Portfolio", valuation.portfolio_id),
            base_currency=valuation.base_currency,
            cash=valuation.cash,
            market_value=valuation.market_value,
            cost_basis=valuation.cost_basis,
            unrealized_gain=valuation.unrealized_gain,
            day_change=valuation.day_change,
            total_value=valuation.total_value,
            as_of=valuation.as_of,
            holdings=[Holding.from_domain(h, instrument(h.instrument)) for h in valuation.holdings],
        )
