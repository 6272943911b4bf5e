"""Portfolios marked to market, for the dashboard (``Portfolio.valuation``, stored closes)
and the live subscription (``portfolioValuation``, ticks). Every field is a plain attribute
computed once per object by ``services.portfolios.marks``: no resolver, no permission class
on a leaf (the root field authorizes once), so the lean execution context completes them
without graphql-core's per-field machinery (``schema/execution.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import strawberry

from fiscus.domain.marketdata import Instrument as DomainInstrument
from fiscus.schema.marketdata import Instrument
from fiscus.schema.relay import to_global_id
from fiscus.services.portfolios import marks


@strawberry.type(
    description="One holding marked to market. Amounts are in the portfolio's base currency "
    "except `price` and `previousClose` (the instrument's currency)."
)
class HoldingValuation:
    instrument: Instrument
    quantity: Decimal
    cost_basis: Decimal
    average_cost: Decimal = strawberry.field(description="Cost basis per unit.")
    price: Decimal | None = strawberry.field(
        description="The live price, else the newest stored close; null: no price (the "
        "holding is then valued at cost)."
    )
    price_as_of: date | None
    previous_close: Decimal | None
    fx_rate: Decimal | None = strawberry.field(
        description="Base currency per unit of the instrument's currency; null: no rate "
        "(valued at cost)."
    )
    market_value: Decimal = strawberry.field(description="round(quantity * price * fxRate, 4)")
    unrealized_gain: Decimal = strawberry.field(description="marketValue - costBasis")
    weight: Decimal = strawberry.field(
        description="marketValue / the portfolio's invested marketValue (cash excluded)."
    )
    day_change: Decimal | None = strawberry.field(
        description="round(quantity * (price - previousClose) * fxRate, 4)"
    )
    day_change_percent: Decimal | None
    live: bool = strawberry.field(description="Priced by a live tick (else a stored close).")


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
    holdings: list[HoldingValuation]


class ValuationTypes:
    """Builds the GraphQL objects of many valuations, one ``Instrument`` object per
    instrument however many portfolios hold it."""

    def __init__(self) -> None:
        self._instruments: dict[UUID, Instrument] = {}

    def instrument(self, instrument: DomainInstrument) -> Instrument:
        found = self._instruments.get(instrument.id)
        if found is None:
            found = self._instruments[instrument.id] = Instrument.from_domain(instrument)
        return found

    def portfolio(self, valuation: marks.PortfolioValuation) -> PortfolioValuation:
        return PortfolioValuation(
            portfolio_id=to_global_id("Portfolio", valuation.portfolio_id),
            base_currency=valuation.base_currency,
            cash=valuation.cash,
            market_value=valuation.market_value,
            cost_basis=valuation.cost_basis,
            unrealized_gain=valuation.unrealized_gain,
            day_change=valuation.day_change,
            total_value=valuation.total_value,
            as_of=valuation.as_of,
            holdings=self.holdings(valuation.holdings),
        )

    def holdings(self, valued: Iterable[marks.ValuedHolding]) -> list[HoldingValuation]:
        return [
            HoldingValuation(
                instrument=self.instrument(h.instrument),
                quantity=h.quantity,
                cost_basis=h.cost_basis,
                average_cost=h.average_cost,
                price=h.price,
                price_as_of=h.price_as_of,
                previous_close=h.previous_close,
                fx_rate=h.fx_rate,
                market_value=h.market_value,
                unrealized_gain=h.unrealized_gain,
                weight=h.weight,
                day_change=h.day_change,
                day_change_percent=h.day_change_percent,
                live=h.live,
            )
            for h in valued
        ]
