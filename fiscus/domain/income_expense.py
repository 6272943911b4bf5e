"""Income and expense statistics: totals per category and period, averages, change on the
previous period and on the same period a year earlier, the savings rate. Pure: the sums come
from the ledger's summaries (natural amounts: income and expenses both positive).

- ``change = (now - before) / |before| x 100`` (none when ``before`` is 0);
- ``savings rate = (income - expenses) / income x 100`` (none without income);
- a category's average is its total over the number of periods.
Percents are rounded half-even to 0.01; each account's sums to the currency's minor unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from fiscus.domain.ledger import AccountType
from fiscus.domain.ledger.statements.periods import Interval, Period, label
from fiscus.domain.money import minor_units

_ZERO = Decimal(0)
_CENT = Decimal("0.01")


def change_percent(now: Decimal, before: Decimal) -> Decimal | None:
    if before == 0:
        return None
    return ((now - before) * 100 / abs(before)).quantize(_CENT, ROUND_HALF_EVEN)


def savings_rate(income: Decimal, expenses: Decimal) -> Decimal | None:
    if income <= 0:
        return None
    return ((income - expenses) * 100 / income).quantize(_CENT, ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class PeriodTotals:
    period: Period
    label: str
    income: Decimal
    expenses: Decimal
    net: Decimal
    savings_rate: Decimal | None
    income_change: Decimal | None
    expenses_change: Decimal | None
    income_year_change: Decimal | None
    expenses_year_change: Decimal | None


@dataclass(frozen=True, slots=True)
class CategoryStats:
    account_id: UUID
    kind: AccountType
    amounts: tuple[Decimal, ...]
    total: Decimal
    average: Decimal
    change: Decimal | None
    """Last period on the one before."""
    year_change: Decimal | None
    """The whole range on the same range a year earlier."""


@dataclass(frozen=True, slots=True)
class Payee:
    name: str
    total: Decimal
    count: int


@dataclass(frozen=True, slots=True)
class IncomeExpenseStats:
    currency: str
    interval: Interval
    periods: tuple[PeriodTotals, ...]
    categories: tuple[CategoryStats, ...]
    top_payees: tuple[Payee, ...]


Sums = Mapping[tuple[UUID, int], Decimal]
"""Signed sums (debit > 0) per (account, column)."""


def build_stats(
    *,
    currency: str,
    interval: Interval,
    periods: Sequence[Period],
    kinds: Mapping[UUID, AccountType],
    current: Sums,
    previous: Mapping[UUID, Decimal],
    last_year: Sums,
    payees: Sequence[Payee] = (),
) -> IncomeExpenseStats:
    """``current``: columns 0..n-1 of ``periods``; ``previous``: the period before the first;
    ``last_year``: the same columns a year earlier. Only INCOME and EXPENSE accounts count."""
    n = len(periods)
    quantum = Decimal(1).scaleb(-minor_units(currency))

    def natural(account: UUID, signed: Decimal) -> Decimal:
        return (signed * kinds[account].sign).quantize(quantum, ROUND_HALF_EVEN)

    categories: list[CategoryStats] = []
    for account in sorted(kinds, key=str):
        if kinds[account] not in (AccountType.INCOME, AccountType.EXPENSE):
            continue
        amounts = tuple(natural(account, current.get((account, c), _ZERO)) for c in range(n))
        before = natural(account, previous.get(account, _ZERO))
        year = sum((natural(account, last_year.get((account, c), _ZERO)) for c in range(n)), _ZERO)
        total = sum(amounts, _ZERO)
        if total == 0 and year == 0 and before == 0:
            continue
        last_before = amounts[-2] if n > 1 else before
        categories.append(
            CategoryStats(
                account,
                kinds[account],
                amounts,
                total,
                (total / n).quantize(_CENT, ROUND_HALF_EVEN) if n else _ZERO,
                change_percent(amounts[-1], last_before) if n else None,
                change_percent(total, year),
            )
        )

    def column(kind: AccountType, sums: Sums, c: int) -> Decimal:
        return sum(
            (natural(a, sums.get((a, c), _ZERO)) for a, k in kinds.items() if k is kind), _ZERO
        )

    income_before = sum(
        (natural(a, v) for a, v in previous.items() if kinds.get(a) is AccountType.INCOME), _ZERO
    )
    expense_before = sum(
        (natural(a, v) for a, v in previous.items() if kinds.get(a) is AccountType.EXPENSE), _ZERO
    )
    totals: list[PeriodTotals] = []
    for c, period in enumerate(periods):
        income = column(AccountType.INCOME, current, c)
        expenses = column(AccountType.EXPENSE, current, c)
        totals.append(
            PeriodTotals(
                period,
                label(period, interval),
                income,
                expenses,
                income - expenses,
                savings_rate(income, expenses),
                change_percent(income, income_before),
                change_percent(expenses, expense_before),
                change_percent(income, column(AccountType.INCOME, last_year, c)),
                change_percent(expenses, column(AccountType.EXPENSE, last_year, c)),
            )
        )
        income_before, expense_before = income, expenses
    rounded = tuple(
        Payee(p.name, p.total.quantize(quantum, ROUND_HALF_EVEN), p.count) for p in payees
    )
    return IncomeExpenseStats(currency, interval, tuple(totals), tuple(categories), rounded)
