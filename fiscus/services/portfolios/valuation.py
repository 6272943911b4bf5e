"""Valuing portfolios with market data (the domain's ``valuation`` and ``returns``): daily
valuation series, performance over a period, allocation, and the organization's combined
figures. Today's holdings priced and valued are ``marks.py``'s.

Market data is read in a fixed number of statements however many portfolios or
instruments: instruments by id (1), closes (global and manual: at most 2), the currency
pairs' closes (1). Series and returns are computed off the event loop for big histories.

The organization summary converts each portfolio's points into one currency (the first
portfolio's base, or the one asked) at each day's rate: a conversion's own currency effect
is not attributed.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from fiscus.domain.errors import ErrorCode, FieldIssue, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.marketdata import normalize_currency
from fiscus.domain.portfolios.portfolio import Portfolio
from fiscus.domain.portfolios.returns import Performance, performance, resolve_period
from fiscus.domain.portfolios.valuation import (
    FxHistory,
    PriceHistory,
    ValuationPoint,
    combine,
    daily_valuation,
)
from fiscus.persistence.repositories.portfolio_rows import StoredTransaction
from fiscus.services.portfolios import pricing, queries
from fiscus.services.portfolios.context import PortfolioContext
from fiscus.services.portfolios.marks import ValuedHolding

_CENT = Decimal("0.0001")
_RATIO = Decimal(1).scaleb(-10)


@dataclass(frozen=True, slots=True)
class Series:
    portfolio: Portfolio
    start: date
    end: date
    points: list[ValuationPoint]


async def valuation_series(
    ctx: PortfolioContext,
    principal: Principal,
    portfolio: Portfolio,
    start: date,
    end: date,
    history: Sequence[StoredTransaction] | None = None,
) -> list[ValuationPoint]:
    """One point per calendar day of [start, end] (see ``domain.portfolios.valuation``)."""
    if history is None:
        history = (await queries.histories(ctx, principal, [portfolio.id]))[portfolio.id]
    found = await many_series(ctx, principal, [portfolio], {portfolio.id: history}, start, end)
    return found[portfolio.id]


async def many_series(
    ctx: PortfolioContext,
    principal: Principal,
    portfolios: Sequence[Portfolio],
    histories: Mapping[UUID, Sequence[StoredTransaction]],
    start: date,
    end: date,
) -> dict[UUID, list[ValuationPoint]]:
    """``valuation_series`` of several portfolios, their market data read together (three
    statements at most however many portfolios)."""
    transactions = {p.id: [s.transaction for s in histories.get(p.id, ())] for p in portfolios}
    ids = {t.instrument_id for rows in transactions.values() for t in rows if t.instrument_id}
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        instruments = await pricing.instruments_by_ids(reads, ids)
        closes = await pricing.price_histories(reads, instruments, start, end)
        currencies = {i.currency for i in instruments.values()}
        currencies |= {t.currency for rows in transactions.values() for t in rows}
        tables = await pricing.fx_tables(
            reads, {p.base_currency for p in portfolios}, currencies, start, end
        )
    prices = {
        i: PriceHistory(instruments[i].currency, h.days, h.closes)
        for i, h in closes.items()
        if i in instruments
    }
    found: dict[UUID, list[ValuationPoint]] = {}
    for portfolio in portfolios:
        base = portfolio.base_currency
        fx: dict[str, FxHistory] = {}
        for currency in currencies - {base}:
            dates, rates = tables[base].series(currency, start - timedelta(days=1), end)
            fx[currency] = FxHistory(dates, rates)
        rows = transactions[portfolio.id]
        found[portfolio.id] = await ctx.offload(
            len(rows) + (end - start).days,
            lambda rows=rows, base=base, fx=fx, method=portfolio.cost_basis_method: (  # type: ignore[misc]
                daily_valuation(
                    rows,
                    method=method,
                    prices=prices,
                    fx=fx,
                    base_currency=base,
                    start=start,
                    end=end,
                )
            ),
        )
    return found


class Period(enum.StrEnum):
    ONE_MONTH = "1M"
    THREE_MONTHS = "3M"
    YTD = "YTD"
    ONE_YEAR = "1Y"
    THREE_YEARS = "3Y"
    FIVE_YEARS = "5Y"
    MAX = "MAX"


def first_day(history: Sequence[StoredTransaction], today: date) -> date:
    return min((s.transaction.date for s in history), default=today)


async def portfolio_performance(
    ctx: PortfolioContext,
    principal: Principal,
    portfolio: Portfolio,
    *,
    period: Period | None,
    from_day: date | None,
    to_day: date | None,
) -> Performance:
    today = ctx.clock().date()
    history = (await queries.histories(ctx, principal, [portfolio.id]))[portfolio.id]
    start, end = resolve_period(
        period.value if period else None,
        today=today,
        first_date=first_day(history, today),
        from_=from_day,
        to=to_day,
    )
    points = await valuation_series(ctx, principal, portfolio, start, end, history)
    return performance(points, start=start, end=end)


def in_currency(point: ValuationPoint, rate: Decimal) -> ValuationPoint:
    """The point's money figures times ``rate`` (units of another currency per unit of the
    point's), each rounded half-even to 4 places."""

    def money(value: Decimal) -> Decimal:
        return (value * rate).quantize(_CENT, ROUND_HALF_EVEN)

    return replace(
        point,
        cash=money(point.cash),
        market_value=money(point.market_value),
        value=money(point.value),
        inflow=money(point.inflow),
        outflow=money(point.outflow),
        income=money(point.income),
        fees=money(point.fees),
        cost_basis=money(point.cost_basis),
        currency_effect=money(point.currency_effect),
    )


@dataclass(frozen=True, slots=True)
class OrganizationSummary:
    currency: str
    portfolios: int
    performance: Performance | None


@dataclass(frozen=True, slots=True)
class OrganizationSeries:
    currency: str
    start: date
    end: date
    points: list[ValuationPoint]
    """Every portfolio's series converted into ``currency`` at each day's rate, summed."""
    portfolios: tuple[Portfolio, ...]


async def organization_series(
    ctx: PortfolioContext,
    principal: Principal,
    *,
    currency: str | None,
    window: Callable[[date, date], tuple[date, date]],
) -> OrganizationSeries | None:
    """None when the organization has no portfolio. ``currency``: default, the first
    portfolio's base currency. ``window(today, first day of any history)`` gives the period
    (``returns.resolve_period``)."""
    today = ctx.clock().date()
    found = await queries.all_portfolios(ctx, principal)
    if not found:
        return None
    target = normalize_currency(currency) if currency else found[0].base_currency
    history = await queries.histories(ctx, principal, [p.id for p in found])
    start, end = window(today, min(first_day(history[p.id], today) for p in found))
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        table = await pricing.fx_table(
            reads, target, {p.base_currency for p in found}, start - timedelta(days=1), end
        )
    by_portfolio = await many_series(ctx, principal, found, history, start, end)
    series: list[list[ValuationPoint]] = []
    for portfolio in found:
        points = by_portfolio[portfolio.id]
        if portfolio.base_currency != target:
            converted = []
            for point in points:
                rate = table.try_rate(portfolio.base_currency, point.date)
                if rate is None:
                    raise ValidationFailed(
                        [
                            FieldIssue(
                                "currency",
                                ErrorCode.NOT_FOUND,
                                f"No FX rate for {portfolio.base_currency}/{target} on "
                                f"{point.date.isoformat()}.",
                            )
                        ]
                    )
                converted.append(in_currency(point, rate))
            points = converted
        series.append(points)
    return OrganizationSeries(target, start, end, combine(series), tuple(found))


async def organization_summary(
    ctx: PortfolioContext,
    principal: Principal,
    *,
    period: Period | None,
    from_day: date | None,
    to_day: date | None,
    currency: str | None,
) -> OrganizationSummary:
    def window(today: date, first: date) -> tuple[date, date]:
        return resolve_period(
            period.value if period else None,
            today=today,
            first_date=first,
            from_=from_day,
            to=to_day,
        )

    found = await organization_series(ctx, principal, currency=currency, window=window)
    if found is None:
        return OrganizationSummary(normalize_currency(currency) if currency else "USD", 0, None)
    return OrganizationSummary(
        found.currency,
        len(found.portfolios),
        performance(found.points, start=found.start, end=found.end),
    )


class AllocationBy(enum.StrEnum):
    INSTRUMENT = "INSTRUMENT"
    KIND = "KIND"
    CURRENCY = "CURRENCY"


@dataclass(frozen=True, slots=True)
class Slice:
    key: str
    value: Decimal
    weight: Decimal


def allocation(
    portfolio: Portfolio, rows: Sequence[ValuedHolding], by: AllocationBy
) -> list[Slice]:
    """Market value by instrument, kind or currency, cash included (``CASH`` / ``cash`` /
    the base currency); weights over the whole value, 10 places; largest first."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        instrument = row.instrument
        if by is AllocationBy.INSTRUMENT:
            key = instrument.symbol if instrument else str(row.value.instrument_id)
        elif by is AllocationBy.KIND:
            key = instrument.kind.value if instrument else "other"
        else:
            key = instrument.currency if instrument else portfolio.base_currency
        totals[key] += row.value.market_value
    if portfolio.cash:
        cash_key = {
            AllocationBy.INSTRUMENT: "CASH",
            AllocationBy.KIND: "cash",
            AllocationBy.CURRENCY: portfolio.base_currency,
        }[by]
        totals[cash_key] += portfolio.cash
    whole = sum(totals.values(), Decimal(0))
    return sorted(
        (
            Slice(
                key,
                value,
                (value / whole).quantize(_RATIO, ROUND_HALF_EVEN) if whole else Decimal(0),
            )
            for key, value in totals.items()
        ),
        key=lambda s: (-s.value, s.key),
    )


def in_range(day: date, from_day: date | None, to_day: date | None) -> bool:
    return (from_day is None or day >= from_day) and (to_day is None or day <= to_day)


__all__ = ["Performance", "ValuedHolding"]
