"""Named periods resolved to ``(start, end)``: the period is ``(start, end]``, valued at the
close of ``start`` (so its first day's flows count). ``start`` is never earlier than the
day before the first transaction (``first_date - 1``), when the value was 0.

- ``1M`` / ``3M`` / ``1Y`` / ``3Y`` / ``5Y``: ``end`` minus that many months/years (the
  day clamped to the month's last: 31 March - 1M = 29 February in a leap year).
- ``YTD``: 31 December of the year before ``end``'s year.
- ``MAX`` (and no period with no dates): from ``first_date - 1``.
- Custom (``period`` None): ``from_`` (default ``first_date - 1``) to ``to`` (default today).
``end`` is ``to`` or ``today``; a ``to`` after ``today`` or a custom ``from_`` not before
``to`` is refused (``ValidationFailed`` naming ``to`` / ``from``), as is a period with dates.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from fiscus.domain.errors import ErrorCode, FieldIssue, ValidationFailed

_MONTHS = {"1M": 1, "3M": 3, "1Y": 12, "3Y": 36, "5Y": 60}
PERIODS = ("1M", "3M", "YTD", "1Y", "3Y", "5Y", "MAX")


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def resolve_period(
    period: str | None,
    *,
    today: date,
    first_date: date,
    from_: date | None,
    to: date | None,
) -> tuple[date, date]:
    if period is not None and period not in PERIODS:
        raise ValidationFailed(
            [FieldIssue("period", ErrorCode.INVALID, f"One of {', '.join(PERIODS)}.")]
        )
    if period is not None and (from_ is not None or to is not None):
        raise ValidationFailed(
            [FieldIssue("period", ErrorCode.INVALID, "Give a period or from/to, not both.")]
        )
    end = to if to is not None else today
    if end > today:
        raise ValidationFailed([FieldIssue("to", ErrorCode.INVALID, "to is in the future.")])
    floor = first_date - timedelta(days=1)
    if period is None:
        start = from_ if from_ is not None else floor
        if start >= end:
            raise ValidationFailed(
                [FieldIssue("from", ErrorCode.INVALID, "from must be before to.")]
            )
    elif period == "MAX":
        start = floor
    elif period == "YTD":
        start = date(end.year - 1, 12, 31)
    else:
        start = months_before(end, _MONTHS[period])
    start = max(start, floor)
    return min(start, end), end
