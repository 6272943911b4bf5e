"""Dated series for charts, one point per day, or thinned to one per week or month: the
first point, the LAST point of each ISO week / calendar month, and always the final one."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar

T = TypeVar("T")


class SeriesInterval(enum.StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


def _bucket(interval: SeriesInterval) -> Callable[[date], tuple[int, int]]:
    if interval is SeriesInterval.WEEK:
        return lambda d: d.isocalendar()[:2]
    return lambda d: (d.year, d.month)


def thin(items: Sequence[T], day_of: Callable[[T], date], interval: SeriesInterval) -> list[T]:
    if interval is SeriesInterval.DAY or len(items) <= 2:
        return list(items)
    key = _bucket(interval)
    found = [items[0]]
    for n in range(1, len(items)):
        last = n == len(items) - 1
        if last or key(day_of(items[n])) != key(day_of(items[n + 1])):
            found.append(items[n])
    return found
