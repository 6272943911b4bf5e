"""The valuation series analytics measure, over a period resolved with the same rules as
``performance`` (``portfolios.returns.resolve_period``): a portfolio's, one holding's
(``daily_valuation(..., instrument_id=)``: money into the holding is inflow, money out of
it outflow) or the organization's (every portfolio that is not archived, converted into
one currency at each day's rate, summed day by day).

Market data comes through the portfolios' pricing reads, a fixed number of statements
however many instruments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from fiscus.domain.errors import NotFound
from fiscus.domain.identity import Principal
from fiscus.domain.marketdata import normalize_symbol
from fiscus.domain.portfolios.portfolio import Portfolio
from fiscus.domain.portfolios.returns import resolve_period
from fiscus.domain.portfolios.valuation import (
    FxHistory,
    PriceHistory,
    ValuationPoint,
    daily_valuation,
)
from fiscus.persistence.repositories.portfolio_rows import StoredTransaction
from fiscus.services.portfolios import pricing, queries, valuation
from fiscus.services.portfolios.context import PortfolioContext
from fiscus.services.portfolios.valuation import Period, first_day, valuation_series

_CENT = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Window:
    period: Period | None = None
    from_day: date | None = None
    to_day: date | None = None

    def resolve(self, today: date, first: date) -> tuple[date, date]:
        return resolve_period(
            self.period.value if self.period else None,
            today=today,
            first_date=first,
            from_=self.from_day,
            to=self.to_day,
        )


@dataclass(frozen=True, slots=True)
class MeasuredSeries:
    currency: str
    start: date
    end: date
    points: list[ValuationPoint]
    portfolios: tuple[Portfolio, ...]


async def portfolio_series(
    ctx: PortfolioContext,
    principal: Principal,
    portfolio: Portfolio,
    window: Window,
    holding: str | None = None,
) -> MeasuredSeries:
    today = ctx.clock().date()
    history = (await queries.histories(ctx, principal, [portfolio.id]))[portfolio.id]
    start, end = window.resolve(today, first_day(history, today))
    if holding is None:
        points = await valuation_series(ctx, principal, portfolio, start, end, history)
    else:
        points = await _holding_series(ctx, principal, portfolio, history, holding, start, end)
    return MeasuredSeries(portfolio.base_currency, start, end, points, (portfolio,))


async def _holding_series(
    ctx: PortfolioContext,
    principal: Principal,
    portfolio: Portfolio,
    history: Sequence[StoredTransaction],
    symbol: str,
    start: date,
    end: date,
) -> list[ValuationPoint]:
    wanted = normalize_symbol(symbol, field_name="holding")
    transactions = [s.transaction for s in history]
    ids = {t.instrument_id for t in transactions if t.instrument_id is not None}
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        instruments = await pricing.instruments_by_ids(reads, ids)
        chosen = next((i for i in instruments.values() if i.symbol == wanted), None)
        if chosen is None:
            raise NotFound("The portfolio never held this instrument.", field="holding")
        closes = await pricing.price_histories(reads, {chosen.id: chosen}, start, end)
        currencies = {chosen.currency} | {t.currency for t in transactions}
        table = await pricing.fx_table(reads, portfolio.base_currency, currencies, start, end)
    prices = {i: PriceHistory(chosen.currency, h.days, h.closes) for i, h in closes.items()}
    fx: dict[str, FxHistory] = {}
    for currency in currencies - {portfolio.base_currency}:
        dates, rates = table.series(currency, start - timedelta(days=1), end)
        fx[currency] = FxHistory(dates, rates)
    return await ctx.offload(
        len(transactions) + (end - start).days,
        lambda: daily_valuation(
            transactions,
            method=portfolio.cost_basis_method,
            prices=prices,
            fx=fx,
            base_currency=portfolio.base_currency,
            start=start,
            end=end,
            instrument_id=chosen.id,
        ),
    )


async def organization_series(
    ctx: PortfolioContext, principal: Principal, window: Window, currency: str | None
) -> MeasuredSeries | None:
    """None when the organization has no portfolio. ``currency``: default, the first
    portfolio's base currency (as ``organizationPortfolioSummary``)."""
    found = await valuation.organization_series(
        ctx, principal, currency=currency, window=window.resolve
    )
    if found is None:
        return None
    return MeasuredSeries(found.currency, found.start, found.end, found.points, found.portfolios)
