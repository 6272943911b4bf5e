"""Price series rules: how often an instrument should update, when its latest price is
stale, gaps filled by last observation carried forward, and adjusted series.

Cadence (``cadence_of``):
- EQUITY, ETF, FUND, BOND: trading days, Monday to Friday. There is no holiday calendar:
  the day after an exchange holiday, a price is reported stale until the next close arrives.
- CRYPTO, CURRENCY: every calendar day.
- CASH, OTHER and every manual instrument: sparse; a price stays fresh for
  ``SPARSE_FRESH_DAYS`` (31) days.

Staleness (``is_stale(as_of, today, kind)``): a daily close for a day is only known after
that day, so the newest price one can expect on ``today`` is the close of the previous
expected day. Trading days: stale when ``as_of`` is before the last weekday before
``today``. Every day: stale when ``as_of < today - 1 day``. Sparse: stale when
``today - as_of > 31 days``.

Adjusted closes (``adjusted_closes``), back-adjusted like the providers' "adjusted close":
``adjusted(t) = close(t) * F(t)`` with ``F(t) = prod over splits with ex-date e > t of
1 / ratio(e)`` times ``prod over dividends with ex-date e > t of (1 - D(e) / C(e))``, where
``C(e)`` is the unadjusted close of the last bar before ``e`` (a dividend with no earlier bar
adjusts nothing). The newest bar is never adjusted (F = 1).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from fiscus.domain.marketdata.instruments import InstrumentKind
from fiscus.domain.marketdata.prices import ActionKind, CorporateAction, DailyBar

SPARSE_FRESH_DAYS = 31
_DAY = timedelta(days=1)


class Cadence(enum.StrEnum):
    TRADING_DAYS = "trading_days"
    DAILY = "daily"
    SPARSE = "sparse"


_TRADED = frozenset(
    {InstrumentKind.EQUITY, InstrumentKind.ETF, InstrumentKind.FUND, InstrumentKind.BOND}
)
_DAILY = frozenset({InstrumentKind.CRYPTO, InstrumentKind.CURRENCY})


def cadence_of(kind: InstrumentKind, *, manual: bool = False) -> Cadence:
    if manual:
        return Cadence.SPARSE
    if kind in _TRADED:
        return Cadence.TRADING_DAYS
    if kind in _DAILY:
        return Cadence.DAILY
    return Cadence.SPARSE


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5


def previous_expected_day(today: date, cadence: Cadence) -> date:
    """The newest day whose close one can expect to know on ``today``."""
    day = today - _DAY
    if cadence is Cadence.TRADING_DAYS:
        while not is_trading_day(day):
            day -= _DAY
    return day


def is_stale(as_of: date, today: date, kind: InstrumentKind, *, manual: bool = False) -> bool:
    cadence = cadence_of(kind, manual=manual)
    if cadence is Cadence.SPARSE:
        return (today - as_of).days > SPARSE_FRESH_DAYS
    return as_of < previous_expected_day(today, cadence)


def expected_days(start: date, end: date, cadence: Cadence) -> list[date]:
    """The days a series of this cadence has a point for, ``start <= day <= end``."""
    days = []
    day = start
    while day <= end:
        if cadence is not Cadence.TRADING_DAYS or is_trading_day(day):
            days.append(day)
        day += _DAY
    return days


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """A day of a series: the close observed ``as_of`` (== ``day`` unless ``filled``)."""

    day: date
    close: Decimal
    as_of: date
    filled: bool


def carry_forward(
    observations: Sequence[tuple[date, Decimal]],
    start: date,
    end: date,
    cadence: Cadence,
) -> list[SeriesPoint]:
    """One point per expected day in ``[start, end]``: the observation of that day, else the
    last earlier one carried forward (``filled``). Observations before ``start`` seed the
    carry; days before the first observation have no point. ``observations`` may come in
    any order."""
    ordered = sorted(observations)
    points: list[SeriesPoint] = []
    index = 0
    last: tuple[date, Decimal] | None = None
    for day in expected_days(start, end, cadence):
        while index < len(ordered) and ordered[index][0] <= day:
            last = ordered[index]
            index += 1
        if last is not None:
            points.append(SeriesPoint(day, last[1], last[0], filled=last[0] != day))
    return points


def adjustment_factors(
    bars: Sequence[DailyBar], actions: Sequence[CorporateAction]
) -> dict[date, Decimal]:
    """``F(day)`` for each bar (see the module docstring)."""
    ordered = sorted(bars, key=lambda b: b.day)
    events = sorted(actions, key=lambda a: a.day, reverse=True)
    factors: dict[date, Decimal] = {}
    factor = Decimal(1)
    pending = 0
    for position in range(len(ordered) - 1, -1, -1):
        bar = ordered[position]
        # Every action effective after this bar's day (and on or before the next bar's)
        # applies to this bar and all earlier ones.
        while pending < len(events) and events[pending].day > bar.day:
            action = events[pending]
            pending += 1
            if action.kind is ActionKind.SPLIT and action.ratio:
                factor /= action.ratio
            elif action.kind is ActionKind.DIVIDEND and action.amount and bar.close:
                factor *= 1 - action.amount / bar.close
        factors[bar.day] = factor
    return factors


def adjusted_closes(
    bars: Sequence[DailyBar], actions: Sequence[CorporateAction], precision: int
) -> dict[date, Decimal]:
    """Split- and dividend-adjusted closes, quantized to ``precision`` places."""
    quantum = Decimal(1).scaleb(-precision)
    factors = adjustment_factors(bars, actions)
    return {b.day: (b.close * factors[b.day]).quantize(quantum) for b in bars}
