"""Sums over the derived summaries: whole calendar months from ``ledger_account_months``,
the days of the months a range only partly covers from ``ledger_account_days``.

A range ``[since, to_day]`` cut into contiguous columns (``bounds``: each column's first day,
then the day after the last) is covered by the whole months inside it that lie within one
column, read from the month rows, plus day windows for the rest: the partial month at each
end and any month a column boundary splits (a column starting mid-month). A balance as of a
date is the months before that date's month plus that month's days up to the date. Either
way an account contributes at most one row per month and ~31 day rows per edge, whatever
the length of its history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import text

from fiscus.persistence.reads.compiled import ReadQuery


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


@dataclass(frozen=True, slots=True)
class Cover:
    """Months ``[months_from, months_to)`` but ``split`` come from the month rows; the days of
    ``windows`` (inclusive pairs) from the day rows. Together: every day of the range once."""

    months_from: date
    months_to: date
    split: tuple[date, ...]
    windows: tuple[tuple[date, date], ...]

    def parameters(self) -> dict[str, object]:
        return {
            "months_from": self.months_from,
            "months_to": self.months_to,
            "split": list(self.split),
            "window_from": [lo for lo, _ in self.windows],
            "window_to": [hi for _, hi in self.windows],
        }


def cover(since: date, to_day: date, bounds: Sequence[date] = ()) -> Cover:
    if since.day != 1 and month_of(since) == month_of(date.max):
        return Cover(since, since, (), ((since, to_day),) if since <= to_day else ())
    months_from = since if since.day == 1 else next_month(month_of(since))
    after = to_day + timedelta(days=1) if to_day < date.max else None
    months_to = after if after is not None and after.day == 1 else month_of(to_day)
    if months_from >= months_to:
        return Cover(months_from, months_from, (), ((since, to_day),) if since <= to_day else ())
    split = tuple(
        sorted(
            {month_of(b) for b in bounds if b.day != 1 and months_from <= month_of(b) < months_to}
        )
    )
    windows: list[tuple[date, date]] = []
    if since < months_from:
        windows.append((since, months_from - timedelta(days=1)))
    windows.extend((m, next_month(m) - timedelta(days=1)) for m in split)
    if months_to <= to_day:
        windows.append((months_to, to_day))
    return Cover(months_from, months_to, split, tuple(windows))


# Per (account, currency, column) over a cover. The day windows are read per account and
# window on the day rows' primary key (org, account, currency, day): a range scan each, never
# the whole history. The GROUP BY keeps the planner from flattening the LATERAL into a hash
# join over every day row of the organization. Summary rows carry their account's currency
# (posting refuses any other).
COLUMN_SUMS = ReadQuery.of(
    text("""
    SELECT account_id, currency, col, sum(amount) AS amount FROM (
      SELECT m.account_id, m.currency,
             width_bucket(m.month, CAST(:bounds AS date[])) - 1 AS col, m.amount_sum AS amount
      FROM ledger_account_months m
      WHERE m.org_id = :org_id AND m.month >= :months_from AND m.month < :months_to
        AND NOT m.month = ANY(CAST(:split AS date[]))
        AND (cardinality(CAST(:accounts AS uuid[])) = 0
             OR m.account_id = ANY(CAST(:accounts AS uuid[])))
      UNION ALL
      SELECT a.id, a.currency, d.col, d.amount
      FROM ledger_accounts a
      CROSS JOIN unnest(CAST(:window_from AS date[]), CAST(:window_to AS date[])) AS w(lo, hi)
      CROSS JOIN LATERAL (
        SELECT width_bucket(d.day, CAST(:bounds AS date[])) - 1 AS col,
               sum(d.amount_sum) AS amount
        FROM ledger_account_days d
        WHERE d.org_id = a.org_id AND d.account_id = a.id AND d.currency = a.currency
          AND d.day >= w.lo AND d.day <= w.hi
        GROUP BY 1) AS d
      WHERE a.org_id = :org_id
        AND (cardinality(CAST(:accounts AS uuid[])) = 0
             OR a.id = ANY(CAST(:accounts AS uuid[])))
    ) AS parts
    GROUP BY 1, 2, 3""")
)

# Signed balance of each asked account at the end of ``:as_of`` (its currency).
BALANCES_AS_OF = ReadQuery.of(
    text("""
    SELECT a.id, a.currency,
           coalesce((SELECT sum(m.amount_sum) FROM ledger_account_months m
                     WHERE m.org_id = a.org_id AND m.account_id = a.id
                       AND m.currency = a.currency AND m.month < :month), 0)
         + coalesce((SELECT sum(d.amount_sum) FROM ledger_account_days d
                     WHERE d.org_id = a.org_id AND d.account_id = a.id
                       AND d.currency = a.currency AND d.day >= :month AND d.day <= :as_of), 0)
           AS total
    FROM ledger_accounts a
    WHERE a.org_id = :org_id AND a.id = ANY(CAST(:ids AS uuid[]))""")
)

# Where the month rows differ from the lines (amount or count): empty when they are right.
MONTH_MISMATCHES = ReadQuery.of(
    text("""
    SELECT coalesce(m.account_id, l.account_id) AS account_id,
           coalesce(m.currency, l.currency) AS currency, coalesce(m.month, l.month) AS month,
           coalesce(m.amount_sum, 0) AS summary, coalesce(l.total, 0) AS lines
    FROM (SELECT account_id, currency, month, amount_sum, line_count
          FROM ledger_account_months WHERE org_id = :org_id) AS m
    FULL JOIN (SELECT account_id, currency, date_trunc('month', entry_date)::date AS month,
                      sum(amount) AS total, count(*) AS n
               FROM journal_lines WHERE org_id = :org_id
               GROUP BY 1, 2, 3) AS l
      ON l.account_id = m.account_id AND l.currency = m.currency AND l.month = m.month
    WHERE coalesce(m.amount_sum, 0) <> coalesce(l.total, 0)
       OR coalesce(m.line_count, 0) <> coalesce(l.n, 0)""")
)
