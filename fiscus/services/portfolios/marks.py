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
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from fiscus.domain.identity import Principal
from fiscus.domain.marketdata import Instrument
from fiscus.domain.portfolios import Books, HoldingValue, Position
from fiscus.domain.portfolios import holdings as value_holdings
from fiscus.domain.portfolios.portfolio import Portfolio
from fiscus.persistence.reads.portfolio_marks import (
    PAGE_COLUMNS,
    PricedHolding,
    PricedRows,
    currencies_of,
    priced_holdings_of,
)
from fiscus.persistence.reads.portfolios import portfolio_of
from fiscus.persistence.reads.repositories import Reads
from fiscus.services.marketdata.live import LiveQuote
from fiscus.services.portfolios.context import PortfolioContext
from fiscus.services.portfolios.mark_cache import MarkCache
from fiscus.services.portfolios.pricing import fx_tables

_ZERO = Decimal(0)
_ONE = Decimal(1)


@dataclass(slots=True)
class ValuedHolding:
    """One holding marked to market: the domain's figures (``value``) and where its price
    came from. Not frozen only because frozen dataclasses cost 3-4x to build (500 per
    dashboard); nothing changes one after ``value_portfolio``."""

    instrument: Instrument | None
    value: HoldingValue
    price_as_of: date | None
    previous_close: Decimal | None
    fx_rate: Decimal | None
    live: bool
    """Priced by a live tick (else by a stored close, or not priced)."""


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
    """Largest market value first (ties: by symbol)."""
    as_of: datetime | None
    """The newest live tick reflected; None when only stored closes were used."""
    rendered: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The API's rendering of this valuation, built once by whoever renders it: a valuation
    never changes and the mark cache hands the same one to every request."""


@dataclass(frozen=True, slots=True)
class MarkInputs:
    """What valuing one portfolio needs besides live ticks, read in one go."""

    portfolio: Portfolio
    holdings: tuple[PricedHolding, ...]
    fx: Mapping[str, Decimal | None]
    """Rate per currency of a holding (base units per unit); absent or None: no rate."""

    @property
    def live_symbols(self) -> list[str]:
        return sorted(
            {
                h.instrument.symbol
                for h in self.holdings
                if h.instrument is not None and not h.instrument.is_manual
            }
        )


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
    base = portfolio.base_currency
    for held in inputs.holdings:
        iid = held.instrument_id
        positions.append(Position(iid, held.quantity, held.cost_basis, held.cost_local, ()))
        instrument = held.instrument
        if instrument is None:
            continue  # not priced: valued at cost
        rate = _ONE if instrument.currency == base else inputs.fx.get(instrument.currency)
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
    values = value_holdings(books, prices_today=today, prices_previous=previous, fx_today=rates)
    valued: list[ValuedHolding] = []
    market_value = cost_basis = day_change = _ZERO
    for held, value in zip(inputs.holdings, values, strict=True):
        iid = held.instrument_id
        priced = value.price is not None
        valued.append(
            ValuedHolding(
                held.instrument,
                value,
                as_of_day.get(iid) if priced else None,
                previous.get(iid) if priced else None,
                rates.get(iid),
                iid in from_tick,
            )
        )
        market_value += value.market_value
        cost_basis += value.cost_basis
        if value.day_change is not None:
            day_change += value.day_change
    return PortfolioValuation(
        portfolio_id=portfolio.id,
        base_currency=base,
        cash=portfolio.cash,
        market_value=market_value,
        cost_basis=cost_basis,
        unrealized_gain=market_value - cost_basis,
        day_change=day_change,
        total_value=market_value + portfolio.cash,
        holdings=tuple(sorted(valued, key=_largest_first)),
        as_of=newest,
    )


def _largest_first(holding: ValuedHolding) -> Decimal:
    return -holding.value.market_value


async def read_rows(
    reads: Reads, portfolios: Sequence[Portfolio], day: date
) -> tuple[dict[UUID, PricedRows], dict[str, dict[str, Decimal | None]]]:
    """Every portfolio's priced rows (one statement) and the FX rates they need."""
    priced = await reads.portfolio_marks.priced_rows([p.id for p in portfolios], day)
    return priced, await _rates(reads, portfolios, priced, day)


async def _rates(
    reads: Reads, portfolios: Sequence[Portfolio], priced: Mapping[UUID, PricedRows], day: date
) -> dict[str, dict[str, Decimal | None]]:
    """The FX rates the holdings need into each base currency: one statement when some
    holding is in another currency than its portfolio's (whatever the number of base
    currencies), none otherwise."""
    needed: dict[str, set[str]] = {}
    for portfolio in portfolios:
        foreign = currencies_of(priced.get(portfolio.id, ())) - {portfolio.base_currency}
        if foreign:
            needed.setdefault(portfolio.base_currency, set()).update(foreign)
    if not needed:
        return {}
    everything = {currency for found in needed.values() for currency in found}
    tables = await fx_tables(reads, needed, everything, day, day)
    return {
        base: {currency: tables[base].try_rate(currency, day) for currency in sorted(currencies)}
        for base, currencies in needed.items()
    }


def _inputs_key(portfolio: Portfolio, rows: PricedRows, fx: Mapping[str, Decimal | None]) -> Any:
    return (portfolio.cash, portfolio.base_currency, rows, tuple(fx.items()))


async def read_inputs(
    reads: Reads, portfolios: Sequence[Portfolio], day: date
) -> dict[UUID, MarkInputs]:
    priced, rates = await read_rows(reads, portfolios, day)
    instruments: dict[UUID, Instrument] = {}
    return {
        p.id: MarkInputs(
            p, tuple(priced_holdings_of(priced[p.id], instruments)), rates.get(p.base_currency, {})
        )
        for p in portfolios
    }


def _valued(
    cache: MarkCache[Any],
    org_id: UUID,
    portfolios: Sequence[Portfolio],
    priced: Mapping[UUID, PricedRows],
    rates: Mapping[str, Mapping[str, Decimal | None]],
) -> dict[UUID, PortfolioValuation]:
    """Each portfolio's valuation: the remembered one while its inputs are equal to those
    it came from (``mark_cache.py``), else computed (and remembered)."""
    instruments: dict[UUID, Instrument] = {}
    found: dict[UUID, PortfolioValuation] = {}
    for p in portfolios:
        fx = rates.get(p.base_currency, {})
        rows = priced.get(p.id, ())
        key = _inputs_key(p, rows, fx)
        valuation: PortfolioValuation | None = cache.get(org_id, p.id, key)
        if valuation is None:
            holdings = tuple(priced_holdings_of(rows, instruments))
            valuation = value_portfolio(MarkInputs(p, holdings, fx))
            cache.put(org_id, p.id, key, valuation)
        found[p.id] = valuation
    return found


async def valuations(
    ctx: PortfolioContext, principal: Principal, portfolios: Sequence[Portfolio]
) -> dict[UUID, PortfolioValuation]:
    """Every given portfolio (the caller's organization's, already read) marked with
    stored closes, in a constant number of statements."""
    if not portfolios:
        return {}
    day = ctx.clock().date()
    async with ctx.reads(org_id=principal.org_id, user_id=principal.user_id) as reads:
        priced, rates = await read_rows(reads, portfolios, day)
    return _valued(ctx.marks, principal.org_id, portfolios, priced, rates)


async def page_valuations(
    ctx: PortfolioContext,
    principal: Principal,
    *,
    after: tuple[Any, UUID] | None,
    limit: int,
    archived: bool = False,
) -> tuple[list[Portfolio], dict[UUID, PortfolioValuation]]:
    """The dashboard's read: a page of portfolios (as ``queries.portfolios_page``) and each
    one marked with stored closes, the page and its priced holdings in ONE statement (plus
    one for FX rates when a holding needs one)."""
    day = ctx.clock().date()
    async with ctx.reads(org_id=principal.org_id, user_id=principal.user_id) as reads:
        page = await reads.portfolio_marks.page_with_priced_rows(
            after=after, limit=limit, archived=archived, day=day
        )
        portfolios = [portfolio_of(dict(zip(PAGE_COLUMNS, row, strict=True))) for row, _ in page]
        priced = {p.id: rows for p, (_, rows) in zip(portfolios, page, strict=True)}
        rates = await _rates(reads, portfolios, priced, day)
    return portfolios, _valued(ctx.marks, principal.org_id, portfolios, priced, rates)


async def live_inputs(ctx: PortfolioContext, org_id: UUID, portfolio_id: UUID) -> MarkInputs | None:
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
