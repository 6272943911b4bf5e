"""Portfolios marked to market: the holdings cache priced with stored closes (the dashboard)
or live ticks (``portfolioValuation``), valued by the domain (``valuation.holdings``), with
the portfolio's totals. Computed once per portfolio and handed to every reader as is.

Prices: a live tick's price when there is one (provider-backed instruments only), else the
newest stored close on or before today. Previous close: the tick's ``price - change`` when
the tick carries a change, else the newest stored close before the price's day. FX: units
of the base currency per unit of the instrument's currency today (``pricing.fx_table``);
a holding with no rate is valued at cost, like one with no price.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.identity import Principal
from fiscus.domain.marketdata import Instrument
from fiscus.domain.portfolios import Books, Position
from fiscus.domain.portfolios import holdings as value_holdings
from fiscus.domain.portfolios.portfolio import Portfolio
from fiscus.persistence.reads.portfolio_marks import PricedHolding
from fiscus.persistence.reads.repositories import Reads
from fiscus.services.marketdata.live import LiveQuote
from fiscus.services.portfolios.context import PortfolioContext
from fiscus.services.portfolios.pricing import fx_table

_ZERO = Decimal(0)
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class ValuedHolding:
    instrument: Instrument
    quantity: Decimal
    cost_basis: Decimal
    average_cost: Decimal
    price: Decimal | None
    """In the instrument's currency; None: no price (valued at cost)."""
    price_as_of: date | None
    previous_close: Decimal | None
    fx_rate: Decimal | None
    market_value: Decimal
    unrealized_gain: Decimal
    weight: Decimal
    day_change: Decimal | None
    day_change_percent: Decimal | None
    live: bool
    """Priced by a live tick (else by a stored close)."""


@dataclass(frozen=True, slots=True)
class PortfolioValuation:
    portfolio_id: UUID
    base_currency: str
    cash: Decimal
    market_value: Decimal
    """Of the holdings (cash excluded), base currency."""
    cost_basis: Decimal
    unrealized_gain: Decimal
    day_change: Decimal
    """Sum of the holdings' day changes that are known."""
    total_value: Decimal
    """``market_value + cash``."""
    holdings: tuple[ValuedHolding, ...]
    as_of: datetime | None
    """The newest live tick reflected; None when only stored closes were used."""


@dataclass(frozen=True, slots=True)
class MarkInputs:
    """What valuing one portfolio needs besides live ticks, read in one go."""

    portfolio: Portfolio
    holdings: tuple[PricedHolding, ...]
    fx: Mapping[str, Decimal | None]
    """Rate per currency of a holding (base units per unit); absent or None: no rate."""

    @property
    def live_symbols(self) -> list[str]:
        return sorted({h.instrument.symbol for h in self.holdings if not h.instrument.is_manual})


def value_portfolio(
    inputs: MarkInputs, live: Mapping[str, LiveQuote] | None = None
) -> PortfolioValuation:
    """The portfolio marked with ``live`` ticks (by symbol) where given, stored closes
    elsewhere."""
    portfolio = inputs.portfolio
    today: dict[UUID, Decimal] = {}
    previous: dict[UUID, Decimal] = {}
    rates: dict[UUID, Decimal] = {}
    as_of_day: dict[UUID, date] = {}
    from_tick: set[UUID] = set()
    newest: datetime | None = None
    positions: list[Position] = []
    for held in inputs.holdings:
        instrument = held.instrument
        iid = instrument.id
        positions.append(Position(iid, held.quantity, held.cost_basis, held.cost_local, ()))
        rate = _ONE if instrument.currency == portfolio.base_currency else None
        if rate is None:
            rate = inputs.fx.get(instrument.currency)
            if rate is None:
                continue  # no rate: valued at cost
        rates[iid] = rate
        mark = held.mark
        tick = None if live is None or instrument.is_manual else live.get(instrument.symbol)
        if tick is not None:
            today[iid] = tick.price
            day = tick.at.date()
            as_of_day[iid] = day
            from_tick.add(iid)
            if newest is None or tick.at > newest:
                newest = tick.at
            if tick.change is not None:
                previous[iid] = tick.price - tick.change
            elif mark is not None:
                before = mark.close if mark.day < day else mark.previous
                if before is not None:
                    previous[iid] = before
        elif mark is not None:
            today[iid] = mark.close
            as_of_day[iid] = mark.day
            if mark.previous is not None:
                previous[iid] = mark.previous
    books = Books(
        cash=portfolio.cash,
        positions=positions,
        realized=(),
        income=(),
        fees=_ZERO,
        net_invested=_ZERO,
    )
    values = value_holdings(
        books, prices_today=today, prices_previous=previous, fx_today=rates
    )
    valued: list[ValuedHolding] = []
    market_value = cost_basis = day_change = _ZERO
    for held, value in zip(inputs.holdings, values, strict=True):
        iid = held.instrument.id
        priced = value.price is not None
        valued.append(
            ValuedHolding(
                instrument=held.instrument,
                quantity=value.quantity,
                cost_basis=value.cost_basis,
                average_cost=value.average_cost,
                price=value.price,
                price_as_of=as_of_day.get(iid) if priced else None,
                previous_close=previous.get(iid) if priced else None,
                fx_rate=rates.get(iid),
                market_value=value.market_value,
                unrealized_gain=value.unrealized_gain,
                weight=value.weight,
                day_change=value.day_change,
                day_change_percent=value.day_change_percent,
                live=iid in from_tick,
            )
        )
        market_value += value.market_value
        cost_basis += value.cost_basis
        if value.day_change is not None:
            day_change += value.day_change
    return PortfolioValuation(
        portfolio_id=portfolio.id,
        base_currency=portfolio.base_currency,
        cash=portfolio.cash,
        market_value=market_value,
        cost_basis=cost_basis,
        unrealized_gain=market_value - cost_basis,
        day_change=day_change,
        total_value=market_value + portfolio.cash,
        holdings=tuple(valued),
        as_of=newest,
    )


async def read_inputs(
    reads: Reads, portfolios: Sequence[Portfolio], day: date
) -> dict[UUID, MarkInputs]:
    """Inputs of every portfolio given: one statement for the priced holdings, one more
    per distinct base currency that needs FX rates (none when every holding is in its
    portfolio's currency)."""
    priced = await reads.portfolio_marks.priced_holdings([p.id for p in portfolios], day)
    needed: dict[str, set[str]] = {}
    for portfolio in portfolios:
        foreign = {
            h.instrument.currency
            for h in priced[portfolio.id]
            if h.instrument.currency != portfolio.base_currency
        }
        if foreign:
            needed.setdefault(portfolio.base_currency, set()).update(foreign)
    rates: dict[str, dict[str, Decimal | None]] = {}
    for base, currencies in needed.items():
        table = await fx_table(reads, base, currencies, day, day)
        rates[base] = {currency: table.try_rate(currency, day) for currency in currencies}
    return {
        p.id: MarkInputs(p, tuple(priced[p.id]), rates.get(p.base_currency, {}))
        for p in portfolios
    }


async def valuations(
    ctx: PortfolioContext, principal: Principal, portfolios: Sequence[Portfolio]
) -> dict[UUID, PortfolioValuation]:
    """The dashboard's read: every given portfolio (the caller's organization's, already
    read) marked with stored closes, in a constant number of statements."""
    if not portfolios:
        return {}
    day = ctx.clock().date()
    async with ctx.reads(org_id=principal.org_id, user_id=principal.user_id) as reads:
        inputs = await read_inputs(reads, portfolios, day)
    return {pid: value_portfolio(found) for pid, found in inputs.items()}


async def live_inputs(
    ctx: PortfolioContext, org_id: UUID, portfolio_id: UUID
) -> MarkInputs | None:
    """One portfolio's inputs for the live valuations, read in the organization's context
    (the subscriber's permission was checked when it subscribed); None when the
    organization has no such portfolio."""
    day = ctx.clock().date()
    async with ctx.reads(org_id=org_id) as reads:
        found = await reads.portfolios.portfolios_by_ids([portfolio_id])
        if not found:
            return None
        inputs = await read_inputs(reads, found, day)
    return inputs[portfolio_id]
