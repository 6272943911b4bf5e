"""Exact money arithmetic for debts: amounts are integers of the currency's minor unit
(cents) inside the engines, Decimals at their boundary; rates are exact fractions.

The rounding rule: a computed amount (an interest charge, a percentage minimum, the annuity
payment) is rounded to the minor unit **half to even** (banker's rounding, as
``Money.rounded``). ``Rounding.EXACT`` keeps every amount an exact fraction instead: the
property tests use it to state results that hold before rounding.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction

from fiscus.domain.money import minor_units

Amount = int | Fraction
"""Minor units: an ``int`` when rounding to the minor unit, a ``Fraction`` when exact."""


class Rounding(enum.Enum):
    MINOR_UNIT = "minor_unit"
    EXACT = "exact"


def half_even(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half to even (``denominator`` > 0)."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def _exact(numerator: Amount, denominator: int) -> Amount:
    return Fraction(numerator, denominator)


def divider(rounding: Rounding) -> Callable[[Amount, int], Amount]:
    """``divide(n, d)``: n / d as an amount (rounded half-even to the minor unit, or exact)."""
    return _exact if rounding is Rounding.EXACT else half_even  # type: ignore[return-value]


def to_minor(amount: Decimal, currency: str) -> int:
    """Exact: callers validate that ``amount`` has no more decimals than the currency."""
    scaled = amount.scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    return int(scaled)


def to_decimal(units: Amount, currency: str) -> Decimal:
    digits = minor_units(currency)
    if isinstance(units, Fraction):
        if units.denominator == 1:
            units = units.numerator
        else:
            # Only exact-mode results reach here: shown to 10 places past the minor unit.
            scaled = units * 10**10
            return Decimal(half_even(scaled.numerator, scaled.denominator)).scaleb(-(digits + 10))
    return Decimal(units).scaleb(-digits)


def has_minor_scale(amount: Decimal, currency: str) -> bool:
    exponent = amount.as_tuple().exponent
    return isinstance(exponent, int) and -exponent <= minor_units(currency)


def percent_rate(percent: Decimal) -> Fraction:
    """6.5 (percent) -> 13/200."""
    return Fraction(percent) / 100


# -- calendar ------------------------------------------------------------------------------


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def from_month_index(index: int, day: int = 1) -> date:
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day, days_in_month(year, month + 1)))


def due_date(index: int, payment_day: int) -> date:
    """The payment day of the month ``index``, clamped to the month's last day."""
    return from_month_index(index, payment_day)


def first_due(start: date, payment_day: int) -> date:
    """The first payment falls in the month after the start month, on the payment day."""
    return due_date(month_index(start) + 1, payment_day)


def due_dates_between(after: date, through: date, payment_day: int) -> list[date]:
    """Payment days in ``(after, through]``."""
    found: list[date] = []
    index = month_index(after)
    while True:
        day = due_date(index, payment_day)
        if day > through:
            return found
        if day > after:
            found.append(day)
        index += 1


# -- rates over time ------------------------------------------------------------------------


class RateTimeline:
    """The annual rate on any day: the base rate, then each change from its date on."""

    def __init__(self, base: Fraction, changes: Sequence[tuple[date, Fraction]] = ()) -> None:
        self._points = [(date.min, base), *sorted(changes)]

    def at(self, day: date) -> Fraction:
        rate = self._points[0][1]
        for start, value in self._points:
            if start > day:
                break
            rate = value
        return rate

    def day_weighted(self, since: date, until: date) -> Fraction:
        """Sum of the annual rate over each day in ``[since, until)`` (rate x days)."""
        if until <= since:
            return Fraction(0)
        total = Fraction(0)
        bounds = [p[0] for p in self._points[1:]]
        cursor = since
        while cursor < until:
            rate = self.at(cursor)
            nxt = next((b for b in bounds if b > cursor), date.max)
            stop = min(nxt, until)
            total += rate * (stop - cursor).days
            cursor = stop
        return total
