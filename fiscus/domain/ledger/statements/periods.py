"""Statement columns: ``from..to`` cut at calendar month, quarter or year boundaries, and
the periods a comparison shifts them to."""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date, timedelta

from fiscus.domain.errors import FieldIssue, ValidationFailed

MAX_COLUMNS = 120


class Interval(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    @property
    def months(self) -> int:
        return {Interval.MONTH: 1, Interval.QUARTER: 3, Interval.YEAR: 12}[self]


class Comparison(enum.StrEnum):
    PREVIOUS_PERIOD = "previous_period"
    SAME_PERIOD_LAST_YEAR = "same_period_last_year"


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """Both ends inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months; a day past the target month's end clamps to it, and a
    month's last day stays its month's last day (Feb 29 -> Feb 28 -> Mar 31 never drifts)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = _month_end(day.year, day.month)
    if day == last:
        return _month_end(year, month)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _boundary_after(day: date, interval: Interval) -> date:
    """The first day of the next month/quarter/year after ``day``."""
    if interval is Interval.YEAR:
        return date(day.year + 1, 1, 1)
    first_month = day.month if interval is Interval.MONTH else ((day.month - 1) // 3) * 3 + 1
    return add_months(date(day.year, first_month, 1), interval.months)


def split_periods(from_day: date, to_day: date, interval: Interval) -> tuple[Period, ...]:
    """Columns from ``from_day`` to ``to_day`` (both inclusive): the first and last may be
    partial, the others are whole calendar months/quarters/years."""
    if to_day < from_day:
        raise ValidationFailed([FieldIssue("to", "INVALID", "`to` must not be before `from`.")])
    periods: list[Period] = []
    start = from_day
    while start <= to_day:
        end = min(_boundary_after(start, interval) - timedelta(days=1), to_day)
        periods.append(Period(start, end))
        if len(periods) > MAX_COLUMNS:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "interval",
                        "INVALID",
                        f"At most {MAX_COLUMNS} columns: choose a longer interval or a "
                        "shorter range.",
                    )
                ]
            )
        start = end + timedelta(days=1)
    return tuple(periods)


def shifted(
    periods: tuple[Period, ...], comparison: Comparison, interval: Interval
) -> tuple[Period, ...]:
    """The periods each column is compared with: one interval earlier, or twelve months
    earlier. Shifting keeps the columns contiguous."""
    months = interval.months if comparison is Comparison.PREVIOUS_PERIOD else 12
    return tuple(Period(add_months(p.start, -months), add_months(p.end, -months)) for p in periods)


def label(period: Period, interval: Interval) -> str:
    whole = period.start == _period_start(period.start, interval) and period.end == (
        _boundary_after(period.start, interval) - timedelta(days=1)
    )
    if not whole:
        return f"{period.start.isoformat()}..{period.end.isoformat()}"
    if interval is Interval.MONTH:
        return f"{period.start.year}-{period.start.month:02d}"
    if interval is Interval.QUARTER:
        return f"{period.start.year}-Q{(period.start.month - 1) // 3 + 1}"
    return str(period.start.year)


def _period_start(day: date, interval: Interval) -> date:
    if interval is Interval.YEAR:
        return date(day.year, 1, 1)
    if interval is Interval.QUARTER:
        return date(day.year, ((day.month - 1) // 3) * 3 + 1, 1)
    return date(day.year, day.month, 1)
