"""The months + edge days cover of a range: every day exactly once, whole months within one
column (pure; the SQL that reads it is exercised in tests/services)."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fiscus.persistence.reads.ledger.summary import cover, next_month

DAYS = st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31))


def days_of(since: date, to_day: date) -> list[date]:
    return [since + timedelta(days=n) for n in range((to_day - since).days + 1)]


@given(DAYS, st.integers(0, 800), st.lists(st.integers(1, 300), max_size=6))
def test_the_cover_reads_every_day_once_and_whole_months_sit_in_one_column(
    since: date, length: int, steps: list[int]
) -> None:
    to_day = since + timedelta(days=length)
    bounds = [since]
    for step in steps:
        bounds.append(bounds[-1] + timedelta(days=step))
    bounds = [b for b in bounds if b <= to_day] + [to_day + timedelta(days=1)]
    found = cover(since, to_day, bounds)
    read: list[date] = []
    month = found.months_from
    while month < found.months_to:
        end = next_month(month) - timedelta(days=1)
        if month not in found.split:
            read.extend(days_of(month, end))
            assert bisect_right(bounds, month) == bisect_right(bounds, end), (month, bounds)
        month = next_month(month)
    for lo, hi in found.windows:
        read.extend(days_of(lo, hi))
    assert sorted(read) == days_of(since, to_day)


def test_whole_months_need_no_day_rows() -> None:
    bounds = [date(2025, m, 1) for m in range(1, 13)] + [date(2026, 1, 1)]
    found = cover(date.min, date(2025, 12, 31), bounds)
    assert found.windows == () and found.split == ()
    assert (found.months_from, found.months_to) == (date.min, date(2026, 1, 1))


def test_a_mid_month_start_reads_its_month_from_days() -> None:
    bounds = [date(2025, 1, 15), date(2025, 2, 1), date(2025, 3, 1)]
    found = cover(date.min, date(2025, 2, 28), bounds)
    assert found.split == (date(2025, 1, 1),)
    assert found.windows == ((date(2025, 1, 1), date(2025, 1, 31)),)


def test_the_last_day_there_is() -> None:
    found = cover(date(9999, 12, 5), date.max)
    assert found.windows == ((date(9999, 12, 5), date.max),)
