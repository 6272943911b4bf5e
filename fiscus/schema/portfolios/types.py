"""GraphQL types of portfolios. ``Portfolio`` and ``PortfolioTransaction`` are Relay nodes of
the caller's organization only. Amounts are Decimals (strings) in the portfolio's base
currency unless named otherwise; everything derived (holdings' values, lots, gains,
income, valuation, performance) is computed from the stored transactions per request,
through the request's DataLoaders (``info.context.loaders.portfolios``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain.errors import DomainError
from fiscus.domain.portfolios import model as domain
from fiscus.domain.portfolios.engine import open_lots
from fiscus.domain.portfolios.portfolio import Portfolio as DomainPortfolio
from fiscus.domain.portfolios.returns import Performance as DomainPerformance
from fiscus.domain.portfolios.tax import capital_gains_report
from fiscus.domain.portfolios.valuation import ValuationPoint as DomainPoint
from fiscus.schema.analytics import risk as analytics
from fiscus.schema.limits import HOLDINGS_COST, list_cost
from fiscus.schema.marketdata import Instrument
from fiscus.schema.portfolios.records import (
    CapitalGainsReport,
    IncomeEntry,
    Lot,
    PortfolioTransaction,
    RealizedGain,
    TransactionsPage,
    closed_lots,
    decode_transaction_cursor,
    transaction_cursor,
)
from fiscus.schema.relay import Connection, Node, build_connection, check_first, to_global_id
from fiscus.services.portfolios import valuation
from fiscus.services.portfolios.valuation import AllocationBy, Period

strawberry.enum(Period, name="PerformancePeriod")
strawberry.enum(AllocationBy, name="AllocationBy")

From = Annotated[date | None, strawberry.argument(name="from")]
T = TypeVar("T")
MAX_VALUATION_DAYS = 366 * 30
_UNIT = Decimal(1).scaleb(-10)


async def answer(call: Callable[[], Awaitable[T]], argument: str = "from") -> T:
    """A query field's expected failure (bad dates, a missing rate) as a GraphQL error
    naming the argument."""
    try:
        return await call()
    except DomainError as error:
        raise GraphQLError(
            error.message, extensions={"code": error.code, "argument": error.field or argument}
        ) from None


@strawberry.type(
    description="An open position marked to market. Amounts are in the portfolio's base "
    "currency except `price` and `previousClose` (the instrument's currency). Every field is "
    "a plain value computed once (services/portfolios/marks.py)."
)
class Holding:
    quantity: Decimal
    cost_basis: Decimal
    average_cost: Decimal = strawberry.field(description="Base currency per unit.")
    market_value: Decimal = strawberry.field(
        description="Quantity x price x FX rate, 4 places; at cost when not priced."
    )
    unrealized_gain: Decimal
    weight: Decimal = strawberry.field(
        description="Share of the invested value (cash excluded), 0..1."
    )
    day_change: Decimal | None = strawberry.field(
        description="Quantity x (price - previousClose) x FX rate."
    )
    day_change_percent: Decimal | None
    price: Decimal | None = strawberry.field(
        description="The newest stored close on or before today (or the live tick, in "
        "portfolioValuation), in the instrument's currency; null: not priced."
    )
    price_as_of: date | None = strawberry.field(description="The day of `price`.")
    previous_close: Decimal | None = strawberry.field(
        description="The close before `price` (a live tick's own previous close)."
    )
    fx_rate: Decimal | None = strawberry.field(
        description="Base currency per unit of the instrument's currency (null: no rate, "
        "valued at cost)."
    )
    priced: bool
    live: bool = strawberry.field(description="Priced by a live tick (portfolioValuation).")
    instrument: Instrument | None

    @classmethod
    def from_domain(
        cls, row: valuation.ValuedHolding, instrument: Instrument | None = None
    ) -> Holding:
        """``instrument``: the row's instrument already converted (shared by the holdings
        of one instrument across portfolios)."""
        v = row.value
        if instrument is None and row.instrument is not None:
            instrument = Instrument.from_domain(row.instrument)
        return cls(
            quantity=v.quantity,
            cost_basis=v.cost_basis,
            average_cost=v.average_cost,
            market_value=v.market_value,
            unrealized_gain=v.unrealized_gain,
            weight=v.weight,
            day_change=v.day_change,
            day_change_percent=v.day_change_percent,
            price=v.price,
            price_as_of=row.price_as_of,
            previous_close=row.previous_close,
            fx_rate=row.fx_rate,
            priced=v.priced,
            live=row.live,
            instrument=instrument,
        )


@strawberry.type
class ValuationPoint:
    date: date
    cash: Decimal
    market_value: Decimal
    value: Decimal
    inflow: Decimal
    outflow: Decimal
    income: Decimal
    fees: Decimal
    cost_basis: Decimal
    currency_effect: Decimal
    carried_forward: bool = strawberry.field(
        description="Some held instrument had no close that day (the last one was used)."
    )

    @classmethod
    def from_domain(cls, p: DomainPoint) -> ValuationPoint:
        return cls(
            date=p.date,
            cash=p.cash,
            market_value=p.market_value,
            value=p.value,
            inflow=p.inflow,
            outflow=p.outflow,
            income=p.income,
            fees=p.fees,
            cost_basis=p.cost_basis,
            currency_effect=p.currency_effect,
            carried_forward=bool(p.carried),
        )


@strawberry.type(
    description="Returns over (from, to], valued at the close of `from`. twr: time-weighted "
    "(chained daily), xirr: money-weighted (annual); fractions, 0.05 = 5%."
)
class PortfolioPerformance:
    from_: date = strawberry.field(name="from")
    to: date
    currency: str
    start_value: Decimal
    end_value: Decimal
    net_flows: Decimal
    absolute_gain: Decimal
    price_effect: Decimal
    income_effect: Decimal
    currency_effect: Decimal
    fees: Decimal
    twr: Decimal
    twr_annualized: Decimal | None
    xirr: Decimal | None
    xirr_unavailable_reason: str | None
    carried_forward: bool

    @classmethod
    def from_domain(cls, p: DomainPerformance, currency: str) -> PortfolioPerformance:
        return cls(
            from_=p.start,
            to=p.end,
            currency=currency,
            start_value=p.start_value,
            end_value=p.end_value,
            net_flows=p.net_flows,
            absolute_gain=p.absolute_gain,
            price_effect=p.price_effect,
            income_effect=p.income,
            currency_effect=p.currency_effect,
            fees=p.fees,
            twr=p.twr,
            twr_annualized=p.twr_annualized,
            xirr=p.xirr,
            xirr_unavailable_reason=p.xirr_reason,
            carried_forward=p.carried_forward,
        )


@strawberry.type
class AllocationSlice:
    key: str = strawberry.field(
        description="A symbol, an instrument kind or a currency; cash is CASH / cash / the "
        "base currency."
    )
    value: Decimal
    weight: Decimal = strawberry.field(description="Of the whole value, cash included, 0..1.")


@strawberry.type
class Portfolio(Node):
    id: strawberry.ID
    name: str
    base_currency: str
    cost_basis_method: domain.CostBasisMethod
    allow_margin: bool
    archived: bool
    cash: Decimal = strawberry.field(description="After the last transaction, base currency.")
    created_at: datetime
    source: strawberry.Private[DomainPortfolio]

    @classmethod
    def from_domain(cls, p: DomainPortfolio) -> Portfolio:
        return cls(
            id=to_global_id("Portfolio", p.id),
            name=p.name,
            base_currency=p.base_currency,
            cost_basis_method=p.cost_basis_method,
            allow_margin=p.allow_margin,
            archived=p.archived,
            cash=p.cash,
            created_at=p.created_at,
            source=p,
        )

    @strawberry.field(
        description="Open positions priced today, largest first.",
        metadata=list_cost(HOLDINGS_COST),
    )
    async def holdings(self, info: Info) -> list[Holding]:
        marked = await info.context.loaders.portfolios.holdings.load(self.source)
        rendered: list[Holding] | None = marked.rendered.get("holdings")
        if rendered is None:
            convert = info.context.loaders.portfolios.instrument_type
            rendered = marked.rendered["holdings"] = [
                Holding.from_domain(r, convert(r.instrument) if r.instrument else None)
                for r in marked.holdings
            ]
        return rendered

    @strawberry.field(description="Tax lots by acquisition date; `open` filters.")
    async def lots(self, info: Info, open: bool | None = None) -> list[Lot]:
        replayed = await info.context.loaders.portfolios.books.load(self.source)
        found: list[Lot] = []
        current = open_lots(replayed.books)
        if open is not False:
            found += [
                Lot(
                    id=lot.id,
                    acquired_on=lot.acquired_on,
                    quantity=lot.quantity,
                    cost_per_unit=lot.cost_per_unit.quantize(_UNIT),
                    cost_basis=lot.cost_basis,
                    open=True,
                    instrument_id=lot.instrument_id,
                )
                for lot in current
            ]
        if open is not True:
            found += closed_lots(replayed, {lot.id for lot in current})
        return sorted(found, key=lambda lot: (lot.acquired_on, lot.id))

    @strawberry.field(description="Newest first; filters combine.")
    async def transactions(
        self,
        info: Info,
        symbol: str | None = None,
        types: list[domain.TransactionType] | None = None,
        from_: From = None,
        to: date | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[PortfolioTransaction]:
        size = check_first(first)
        key = TransactionsPage(
            self.source.id,
            symbol.strip().upper() if symbol else None,
            tuple(sorted(t.value for t in types or ())),
            from_,
            to,
            decode_transaction_cursor(after),
            size + 1,
        )
        found = await info.context.loaders.portfolios.transactions.load(key)
        items = [PortfolioTransaction.from_domain(s) for s in found[:size]]
        return build_connection(
            items,
            has_next=len(found) > size,
            had_cursor=after is not None,
            cursor_of=transaction_cursor,
        )

    @strawberry.field(
        description="Sales in the date range (inclusive), oldest first; the first `first`."
    )
    async def realized_gains(
        self, info: Info, from_: From = None, to: date | None = None, first: int = 100
    ) -> list[RealizedGain]:
        size = check_first(first)
        books = (await info.context.loaders.portfolios.books.load(self.source)).books
        found = [g for g in books.realized if valuation.in_range(g.date, from_, to)]
        return [RealizedGain.from_domain(g) for g in found[:size]]

    @strawberry.field(
        description="Dividends and interest in the date range, oldest first; the first `first`."
    )
    async def income(
        self, info: Info, from_: From = None, to: date | None = None, first: int = 100
    ) -> list[IncomeEntry]:
        size = check_first(first)
        books = (await info.context.loaders.portfolios.books.load(self.source)).books
        found = [i for i in books.income if valuation.in_range(i.date, from_, to)]
        return [
            IncomeEntry(
                type=i.type, date=i.date, amount=i.amount, reinvested=i.reinvested, source=i
            )
            for i in found[:size]
        ]

    @strawberry.field(
        description="One point per calendar day of [from, to] (default: the last 30 days)."
    )
    async def valuation(
        self, info: Info, from_: From = None, to: date | None = None
    ) -> list[ValuationPoint]:
        principal = await info.context.require_principal()
        ctx = info.context.portfolios
        end = to or ctx.clock().date()
        start = from_ or end - timedelta(days=30)
        if end < start or (end - start).days > MAX_VALUATION_DAYS:
            raise GraphQLError(
                "`from` must be before `to`, at most 30 years apart.",
                extensions={"code": "BAD_USER_INPUT", "argument": "from"},
            )
        points = await answer(
            lambda: valuation.valuation_series(ctx, principal, self.source, start, end)
        )
        return [ValuationPoint.from_domain(p) for p in points]

    @strawberry.field(description="A named period, or from/to (default: since the start).")
    async def performance(
        self,
        info: Info,
        period: Period | None = None,
        from_: From = None,
        to: date | None = None,
    ) -> PortfolioPerformance:
        principal = await info.context.require_principal()
        found = await answer(
            lambda: valuation.portfolio_performance(
                info.context.portfolios,
                principal,
                self.source,
                period=period,
                from_day=from_,
                to_day=to,
            )
        )
        return PortfolioPerformance.from_domain(found, self.source.base_currency)

    risk = analytics.portfolio_risk()
    benchmark = analytics.portfolio_benchmark()

    @strawberry.field(description="Today's value split by instrument, kind or currency.")
    async def allocation(
        self, info: Info, by: AllocationBy = AllocationBy.INSTRUMENT
    ) -> list[AllocationSlice]:
        marked = await info.context.loaders.portfolios.holdings.load(self.source)
        rows = marked.holdings
        return [
            AllocationSlice(key=s.key, value=s.value, weight=s.weight)
            for s in valuation.allocation(self.source, rows, by)
        ]

    @strawberry.field(description="Realized gains of a tax year, by term (base currency).")
    async def capital_gains_report(self, info: Info, tax_year: int) -> CapitalGainsReport:
        if not 1900 <= tax_year <= 2200:
            raise GraphQLError(
                "A year.", extensions={"code": "BAD_USER_INPUT", "argument": "taxYear"}
            )
        books = (await info.context.loaders.portfolios.books.load(self.source)).books
        report = capital_gains_report(books, tax_year)
        return CapitalGainsReport.from_domain(report, self.source.base_currency)
