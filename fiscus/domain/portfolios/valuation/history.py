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
from datetime import date, timedelta
from decimal import Decimal
from itertools import chain, repeat
from operator import sub


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
    first real observation. (Loops run in C: ``map`` and ``repeat`` over lists.)"""
    origin = first.toordinal()
    seed = bisect_right(dates, first) - 1
    stop = bisect_right(dates, first + timedelta(days=days - 1))
    begin = max(seed, 0)
    ks = list(map(sub, map(date.toordinal, dates[begin:stop]), repeat(origin)))
    marks: list[Decimal | None] = list(values[begin:stop])
    if seed >= 0:
        ks[0] = 0
    real = set(ks) if seed < 0 or dates[seed] == first else set(ks[1:])
    first_real = ks[0] if ks else days
    if stand_ins and first_real > 0:
        early_ks: list[int] = []
        early: list[Decimal | None] = []
        for on, value in stand_ins:
            k = max(on.toordinal() - origin, 0)
            if k >= first_real:
                break
            early_ks.append(k)
            early.append(value)
        ks = early_ks + ks
        marks = early + marks
    # Each mark repeated until the next one (or the end); nothing before the first.
    gaps = list(map(sub, [*ks[1:], days], ks))
    out: list[Decimal | None] = [None] * (ks[0] if ks else days)
    out.extend(chain.from_iterable(map(repeat, marks, gaps)))
    return Aligned(out, first_real, real)
