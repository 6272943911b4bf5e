"""GraphQL types of risk figures and charts shared by live portfolios and backtests.
Returns and ratios are Decimals (strings), fractions (0.05 = 5 %), 10 places; volatility
is annualized over 252 trading days (see docs/ANALYTICS.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TypeVar

import strawberry
from graphql import GraphQLError

from fiscus.domain import analytics as domain
from fiscus.domain.analytics import TRADING_DAYS_PER_YEAR
from fiscus.domain.errors import DomainError
from fiscus.schema.analytics.enums import SeriesInterval

T = TypeVar("T")
_RATE = Decimal(1).scaleb(-10)
_INDEX = Decimal(1).scaleb(-8)


def rate(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(_RATE, ROUND_HALF_EVEN)


def index(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(_INDEX, ROUND_HALF_EVEN)


async def answer(call: Callable[[], Awaitable[T]], argument: str) -> T:
    """A field's expected failure (a bad period, an unknown symbol, no prices) as a GraphQL
    error with its code and the argument it is about."""
    try:
        return await call()
    except DomainError as error:
        raise GraphQLError(
            error.message, extensions={"code": error.code, "argument": error.field or argument}
        ) from None


@strawberry.type
class Drawdown:
    depth: Decimal = strawberry.field(description="Trough / peak - 1 (<= 0).")
    peak: date
    trough: date
    recovery: date | None = strawberry.field(
        description="First day back at the peak's level; null: not recovered."
    )
    recovered: bool
    days: int = strawberry.field(
        description="Calendar days from the peak to the recovery (or to the period's end)."
    )

    @classmethod
    def of(cls, d: domain.Drawdown | None) -> Drawdown | None:
        if d is None:
            return None
        return cls(
            depth=d.depth,
            peak=d.peak,
            trough=d.trough,
            recovery=d.recovery,
            recovered=d.recovery is not None,
            days=d.days,
        )


@strawberry.type
class DatedReturn:
    date: date = strawberry.field(description="The day, or the first day of the month.")
    value: Decimal

    @classmethod
    def of(cls, d: domain.DatedReturn | None) -> DatedReturn | None:
        return cls(date=d.date, value=d.value) if d is not None else None


@strawberry.type(
    description="Risk over (from, to] from the daily time-weighted returns of trading days "
    "(Monday to Friday; weekend days linked into the next trading day)."
)
class RiskFigures:
    from_: date = strawberry.field(name="from")
    to: date
    currency: str
    trading_days_per_year: int = strawberry.field(
        description="Annualization factor: 252 trading days."
    )
    observations: int = strawberry.field(description="Trading-day returns measured.")
    cumulative_return: Decimal = strawberry.field(description="The period's TWR.")
    annualized_return: Decimal | None = strawberry.field(
        description="Only for periods of a year or more."
    )
    risk_free_rate: Decimal = strawberry.field(description="Annual, as used (its average).")
    volatility: Decimal | None = strawberry.field(
        description="Sample standard deviation of daily returns x sqrt(252)."
    )
    downside_deviation: Decimal | None = strawberry.field(
        description="sqrt(mean(min(r - rf, 0)^2)) x sqrt(252): semi-deviation below the "
        "risk-free rate."
    )
    sharpe: Decimal | None
    sortino: Decimal | None
    max_drawdown: Drawdown | None = strawberry.field(description="Null: never below a high.")
    longest_drawdown: Drawdown | None
    current_drawdown: Decimal
    best_day: DatedReturn | None
    worst_day: DatedReturn | None
    best_month: DatedReturn | None
    worst_month: DatedReturn | None

    @staticmethod
    def values(f: domain.RiskFigures, currency: str) -> dict[str, object]:
        return {
            "from_": f.start,
            "to": f.end,
            "currency": currency,
            "trading_days_per_year": TRADING_DAYS_PER_YEAR,
            "observations": f.observations,
            "cumulative_return": f.cumulative_return,
            "annualized_return": f.annualized_return,
            "risk_free_rate": f.risk_free_rate,
            "volatility": f.volatility,
            "downside_deviation": f.downside_deviation,
            "sharpe": f.sharpe,
            "sortino": f.sortino,
            "max_drawdown": Drawdown.of(f.max_drawdown),
            "longest_drawdown": Drawdown.of(f.longest_drawdown),
            "current_drawdown": f.current_drawdown,
            "best_day": DatedReturn.of(f.best_day),
            "worst_day": DatedReturn.of(f.worst_day),
            "best_month": DatedReturn.of(f.best_month),
            "worst_month": DatedReturn.of(f.worst_month),
        }

    @classmethod
    def from_domain(cls, f: domain.RiskFigures, currency: str) -> RiskFigures:
        return cls(**cls.values(f, currency))  # type: ignore[arg-type]


@strawberry.type(description="The growth of 100 at the start, and the drawdown.")
class RiskPoint:
    date: date
    index: Decimal = strawberry.field(description="Cumulative TWR rebased to 100.")
    period_return: Decimal = strawberry.field(description="Since the previous point.")
    drawdown: Decimal = strawberry.field(description="Below the highest index so far (<= 0).")


def risk_points(returns: domain.ReturnSeries, interval: SeriesInterval) -> list[RiskPoint]:
    drawdowns = domain.drawdown_series(returns)
    growth = [1.0, *(float(g) for g in returns.growth)]
    rows = [(day, g, dd) for (day, dd), g in zip(drawdowns, growth, strict=True)]
    thinned = domain.thin(rows, lambda row: row[0], interval)
    found: list[RiskPoint] = []
    previous = 1.0
    for day, g, dd in thinned:
        found.append(
            RiskPoint(
                date=day,
                index=index(g * 100),
                period_return=rate(g / previous - 1 if previous else 0.0),
                drawdown=rate(dd),
            )
        )
        previous = g
    return found
