"""Price and FX histories aligned to a calendar of consecutive days, carried forward.

Closes are the RAW (unadjusted) closes: splits are applied to the quantities by the
engine, so a split-adjusted series would count a split twice.

Before an instrument's first close (an instrument whose history starts after it was
bought, or one with no history), the prices of its own trades stand in (BUY, SELL,
reinvested DIVIDEND, and a TRANSFER_IN's cost per unit), divided by any split ratio
recorded since; the same for a currency's rate from the transactions' ``fx_rate``. Such
days are reported as carried.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class PriceHistory:
    """Raw daily closes of one instrument in ``currency``, ``dates`` ascending."""

    currency: str
    dates: Sequence[date]
    closes: Sequence[Decimal]


@dataclass(frozen=True, slots=True)
class FxHistory:
    """Units of the base currency per 1 unit of the currency, ``dates`` ascending."""

    dates: Sequence[date]
    rates: Sequence[Decimal]


@dataclass(slots=True)
class Aligned:
    """``values[k]`` for calendar day ``k`` (None before any observation); ``stand_in``:
    days before ``first_real`` that use a stand-in; ``real``: indices with an observation
    of their own."""

    values: list[Decimal | None]
    first_real: int
    real: set[int]


def align(
    first: date,
    days: int,
    dates: Sequence[date],
    values: Sequence[Decimal],
    stand_ins: Sequence[tuple[date, Decimal]] = (),
) -> Aligned:
    """Observations carried forward over ``days`` days from ``first``; an observation
    before ``first`` seeds day 0. ``stand_ins`` (sorted by date) fill the days before the
    first real observation."""
    origin = first.toordinal()
    out: list[Decimal | None] = [None] * days
    real: set[int] = set()
    seed = bisect_right(dates, first) - 1
    marks: list[tuple[int, Decimal]] = []
    if seed >= 0:
        marks.append((0, values[seed]))
        if dates[seed] == first:
            real.add(0)
    for j in range(max(seed + 1, 0), len(dates)):
        k = dates[j].toordinal() - origin
        if k >= days:
            break
        marks.append((k, values[j]))
        real.add(k)
    first_real = marks[0][0] if marks else days
    if stand_ins and first_real > 0:
        early: list[tuple[int, Decimal]] = []
        for on, value in stand_ins:
            k = max(on.toordinal() - origin, 0)
            if k >= first_real:
                break
            if early and early[-1][0] == k:
                early[-1] = (k, value)
            else:
                early.append((k, value))
        marks = early + marks
    for n, (k, value) in enumerate(marks):
        stop = marks[n + 1][0] if n + 1 < len(marks) else days
        if stop > k:
            out[k:stop] = [value] * (stop - k)
    return Aligned(out, first_real, real)
