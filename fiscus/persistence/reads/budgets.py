"""Budget and goal reads (``reads.budgets``, ``reads.goals``), all from the ledger's derived
summaries — never the journal lines:

- spending per budget and month: the month rows (``ledger_account_months``) of the
  budget's account (and its subtree), and for the current month the day rows
  (``ledger_account_days``) through today;
- goal balances as of a date: months before that date's month, then that month's days;
- what a posting touched: the budgets whose account is, or (with its subtree) contains,
  a posted account, and the goals linked to one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text

from fiscus.domain.budgets import Budget, Rollover
from fiscus.domain.goals import Goal, GoalKind, GoalTracking
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.repositories import ReadRepository

_BUDGET_COLUMNS = """
    b.id, b.org_id, b.name, b.account_id, b.include_subtree, b.amount, b.currency,
    b.rollover, b.alert_threshold_percent, b.start_month, b.created_at"""
_BUDGETS_PAGE = ReadQuery.of(
    text(f"""
    SELECT {_BUDGET_COLUMNS} FROM budgets b
    WHERE b.org_id = :org_id AND (b.created_at, b.id) > (:after_at, :after_id)
    ORDER BY b.created_at, b.id LIMIT :limit""")  # noqa: S608 -- a constant fragment
)
_BUDGETS_BY_IDS = ReadQuery.of(
    text(f"""
    SELECT {_BUDGET_COLUMNS} FROM budgets b
    WHERE b.org_id = :org_id AND b.id = ANY(CAST(:ids AS uuid[]))""")  # noqa: S608
)
# Each budget's accounts (its own, and with include_subtree every descendant of the same
# currency), then their month rows in [from_month, to_month] except the current month,
# whose days are read through today instead.
_SPENDING = ReadQuery.of(
    text("""
    WITH RECURSIVE tree(budget_id, account_id, currency, deep) AS (
      SELECT b.id, b.account_id, b.currency, b.include_subtree FROM budgets b
      WHERE b.org_id = :org_id AND b.id = ANY(CAST(:ids AS uuid[]))
      UNION
      SELECT t.budget_id, a.id, t.currency, t.deep FROM tree t
      JOIN ledger_accounts a ON a.org_id = :org_id AND a.parent_id = t.account_id
      WHERE t.deep)
    SELECT t.budget_id, m.month, sum(m.amount_sum) AS amount
    FROM tree t JOIN ledger_account_months m
      ON m.org_id = :org_id AND m.account_id = t.account_id AND m.currency = t.currency
    WHERE m.month >= :from_month AND m.month <= :to_month AND m.month <> :current_month
    GROUP BY 1, 2
    UNION ALL
    SELECT t.budget_id, CAST(:current_month AS date), sum(d.amount_sum)
    FROM tree t JOIN ledger_account_days d
      ON d.org_id = :org_id AND d.account_id = t.account_id AND d.currency = t.currency
    WHERE d.day >= :current_month AND d.day <= :today
      AND :current_month >= :from_month AND :current_month <= :to_month
    GROUP BY 1""")
)
_GOAL_COLUMNS = """
    g.id, g.org_id, g.name, g.kind, g.target_amount, g.currency, g.target_date, g.priority,
    g.tracking, g.created_at,
    coalesce((SELECT array_agg(ga.account_id ORDER BY ga.account_id) FROM goal_accounts ga
              WHERE ga.org_id = g.org_id AND ga.goal_id = g.id), '{}') AS account_ids"""
_GOALS_PAGE = ReadQuery.of(
    text(f"""
    SELECT {_GOAL_COLUMNS} FROM goals g
    WHERE g.org_id = :org_id AND (g.priority, g.created_at, g.id) > (:after_priority,
                                                                      :after_at, :after_id)
    ORDER BY g.priority, g.created_at, g.id LIMIT :limit""")  # noqa: S608
)
_GOALS_BY_IDS = ReadQuery.of(
    text(f"""
    SELECT {_GOAL_COLUMNS} FROM goals g
    WHERE g.org_id = :org_id AND g.id = ANY(CAST(:ids AS uuid[]))""")  # noqa: S608
)
_BALANCE = """
    coalesce((SELECT sum(m.amount_sum) FROM ledger_account_months m
              WHERE m.org_id = a.org_id AND m.account_id = a.id AND m.currency = a.currency
                AND m.month < date_trunc('month', CAST(:{day} AS date))::date), 0)
  + coalesce((SELECT sum(d.amount_sum) FROM ledger_account_days d
              WHERE d.org_id = a.org_id AND d.account_id = a.id AND d.currency = a.currency
                AND d.day >= date_trunc('month', CAST(:{day} AS date))::date
                AND d.day <= :{day}), 0)"""
# Per goal: its linked accounts' signed balances (in the goal's currency) now and then,
# and its contributions through now and through then.
_GOAL_SAVINGS = ReadQuery.of(
    text(f"""
    SELECT g.id AS goal_id,
           coalesce((SELECT sum(CASE a.type WHEN 'liability' THEN -1 ELSE 1 END * ({_BALANCE.format(day="now")}))
                     FROM goal_accounts ga JOIN ledger_accounts a
                       ON a.org_id = ga.org_id AND a.id = ga.account_id
                     WHERE ga.org_id = g.org_id AND ga.goal_id = g.id
                       AND a.currency = g.currency), 0) AS balance_now,
           coalesce((SELECT sum(CASE a.type WHEN 'liability' THEN -1 ELSE 1 END * ({_BALANCE.format(day="then")}))
                     FROM goal_accounts ga JOIN ledger_accounts a
                       ON a.org_id = ga.org_id AND a.id = ga.account_id
                     WHERE ga.org_id = g.org_id AND ga.goal_id = g.id
                       AND a.currency = g.currency), 0) AS balance_then,
           coalesce((SELECT sum(c.amount) FROM goal_contributions c
                     WHERE c.org_id = g.org_id AND c.goal_id = g.id
                       AND c.contributed_on <= :now), 0) AS contributed_now,
           coalesce((SELECT sum(c.amount) FROM goal_contributions c
                     WHERE c.org_id = g.org_id AND c.goal_id = g.id
                       AND c.contributed_on <= :then), 0) AS contributed_then
    FROM goals g WHERE g.org_id = :org_id AND g.id = ANY(CAST(:ids AS uuid[]))""")  # noqa: S608,E501
)
# What a posting touched: budgets over a posted account or (with the subtree) one of its
# ancestors, and goals linked to a posted account.
_TOUCHED = ReadQuery.of(
    text("""
    WITH RECURSIVE up(account_id, ancestor_id) AS (
      SELECT a.id, a.id FROM ledger_accounts a
      WHERE a.org_id = :org_id AND a.id = ANY(CAST(:ids AS uuid[]))
      UNION
      SELECT up.account_id, p.parent_id FROM up
      JOIN ledger_accounts p ON p.org_id = :org_id AND p.id = up.ancestor_id
      WHERE p.parent_id IS NOT NULL)
    SELECT 'budget' AS kind, b.id FROM budgets b JOIN up
      ON b.account_id = up.ancestor_id AND (b.include_subtree OR up.ancestor_id = up.account_id)
    WHERE b.org_id = :org_id
    UNION
    SELECT 'goal', ga.goal_id FROM goal_accounts ga
    WHERE ga.org_id = :org_id AND ga.account_id = ANY(CAST(:ids AS uuid[]))""")
)


def budget_of(r: Any) -> Budget:
    return Budget(
        r["id"],
        r["org_id"],
        r["name"],
        r["account_id"],
        r["include_subtree"],
        Decimal(r["amount"]),
        r["currency"],
        Rollover(r["rollover"]),
        Decimal(r["alert_threshold_percent"]),
        r["start_month"],
        r["created_at"],
    )


def goal_of(r: Any) -> Goal:
    return Goal(
        r["id"],
        r["org_id"],
        r["name"],
        GoalKind(r["kind"]),
        Decimal(r["target_amount"]),
        r["currency"],
        r["target_date"],
        r["priority"],
        GoalTracking(r["tracking"]),
        tuple(r["account_ids"] or ()),
        r["created_at"],
    )


_EPOCH = datetime(1970, 1, 1).astimezone()
_NO_ID = UUID(int=0)


class BudgetsReads(ReadRepository):
    async def page(self, *, after: tuple[datetime, UUID] | None, limit: int) -> list[Budget]:
        after_at, after_id = after or (_EPOCH, _NO_ID)
        rows = await self.fetch(
            _BUDGETS_PAGE, org_id=self.org_id, after_at=after_at, after_id=after_id, limit=limit
        )
        return [budget_of(r) for r in rows]

    async def by_ids(self, ids: Sequence[UUID]) -> list[Budget]:
        if not ids:
            return []
        rows = await self.fetch(_BUDGETS_BY_IDS, org_id=self.org_id, ids=list(ids))
        return [budget_of(r) for r in rows]

    async def spending(
        self, ids: Sequence[UUID], from_month: date, to_month: date, today: date
    ) -> dict[UUID, dict[date, Decimal]]:
        """Signed spending per budget and month in ``[from_month, to_month]``: whole months,
        but today's month only through ``today``."""
        found: dict[UUID, dict[date, Decimal]] = {i: {} for i in ids}
        if not ids:
            return found
        rows = await self.fetch(
            _SPENDING,
            org_id=self.org_id,
            ids=list(ids),
            from_month=from_month,
            to_month=to_month,
            current_month=today.replace(day=1),
            today=today,
        )
        for r in rows:
            if r["amount"] is not None:
                found[r["budget_id"]][r["month"]] = Decimal(r["amount"])
        return found

    async def touched_by(self, account_ids: Sequence[UUID]) -> tuple[list[UUID], list[UUID]]:
        """(budget ids, goal ids) a posting to these accounts may move."""
        rows = await self.fetch(_TOUCHED, org_id=self.org_id, ids=list(set(account_ids)))
        budgets = [r["id"] for r in rows if r["kind"] == "budget"]
        return budgets, [r["id"] for r in rows if r["kind"] == "goal"]


class GoalsReads(ReadRepository):
    async def page(self, *, after: tuple[int, datetime, UUID] | None, limit: int) -> list[Goal]:
        priority, after_at, after_id = after or (-1, _EPOCH, _NO_ID)
        rows = await self.fetch(
            _GOALS_PAGE,
            org_id=self.org_id,
            after_priority=priority,
            after_at=after_at,
            after_id=after_id,
            limit=limit,
        )
        return [goal_of(r) for r in rows]

    async def by_ids(self, ids: Sequence[UUID]) -> list[Goal]:
        if not ids:
            return []
        return [
            goal_of(r) for r in await self.fetch(_GOALS_BY_IDS, org_id=self.org_id, ids=list(ids))
        ]

    async def savings(
        self, ids: Sequence[UUID], now: date, then: date
    ) -> dict[UUID, tuple[Decimal, Decimal, Decimal, Decimal]]:
        """Per goal: (balance now, balance then, contributed now, contributed then); a
        liability's balance counts as what is owed (positive)."""
        if not ids:
            return {}
        rows = await self.fetch(
            _GOAL_SAVINGS, org_id=self.org_id, ids=list(ids), now=now, then=then
        )
        return {
            r["goal_id"]: (
                Decimal(r["balance_now"]),
                Decimal(r["balance_then"]),
                Decimal(r["contributed_now"]),
                Decimal(r["contributed_then"]),
            )
            for r in rows
        }
