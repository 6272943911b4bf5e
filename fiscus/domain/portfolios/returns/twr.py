"""Time-weighted return by daily linking (floats inside, Decimal at the boundary)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal

from fiscus.domain.portfolios.valuation import ValuationPoint

RATE = Decimal(1).scaleb(-10)
DAYS_PER_YEAR = 365
_WIDE = Context(prec=400)


def to_rate(value: float) -> Decimal:
    """A float return as a Decimal, rounded half-even to 10 places."""
    return Decimal(repr(value)).quantize(RATE, ROUND_HALF_EVEN, context=_WIDE)


@dataclass(frozen=True, slots=True)
class TwrResult:
    cumulative: Decimal
    annualized: Decimal | None
    """None for periods shorter than a year (not annualized), or a wipe-out."""
    days: int


def value_at(points: Sequence[ValuationPoint], day: date) -> Decimal:
    """The value of the last point on or before ``day`` (0 before the first point)."""
    found = Decimal(0)
    for point in points:
        if point.date > day:
            break
        found = point.value
    return found


def annualize(cumulative: float, days: int) -> float | None:
    # annualized = (1 + cumulative) ^ (365 / days) - 1, only for a year or more
    if days < DAYS_PER_YEAR or cumulative <= -1:
        return None
    return float((1 + cumulative) ** (DAYS_PER_YEAR / days) - 1)


def time_weighted_return(points: Sequence[ValuationPoint], start: date, end: date) -> TwrResult:
    """Over ``(start, end]``, valued at the close of ``start``; ``points`` ascending."""
    previous = float(value_at(points, start))
    growth = 1.0
    for point in points:
        if point.date <= start:
            continue
        if point.date > end:
            break
        # External flows come in at the start of the day and go out at its end:
        #   r_t = (V_t + OUT_t) / (V_{t-1} + IN_t) - 1,  r_t = 0 when the denominator <= 0
        # (an emptied portfolio, or one on margin, has no return that day).
        value = float(point.value)
        denominator = previous + float(point.inflow)
        if denominator > 0:
            growth *= (value + float(point.outflow)) / denominator
        previous = value
    # cumulative = prod over t of (1 + r_t) - 1
    cumulative = growth - 1
    days = max((end - start).days, 0)
    annualized = annualize(cumulative, days)
    return TwrResult(
        cumulative=to_rate(cumulative),
        annualized=to_rate(annualized) if annualized is not None else None,
        days=days,
    )
