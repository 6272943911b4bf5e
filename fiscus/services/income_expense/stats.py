"""``incomeExpenseStats``: every figure from the ledger's summaries (three set-based
statements over ``ledger_account_months`` / ``ledger_account_days``: the range with the
period before it, the same range a year earlier, and the chart), plus the top payees from
the range's journal lines (the summaries carry no counterparty)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.income_expense import IncomeExpenseStats, build_stats
from fiscus.domain.ledger import Account, AccountType
from fiscus.domain.ledger.statements.periods import (
    Comparison,
    Interval,
    Period,
    shifted,
    split_periods,
)
from fiscus.persistence.reads.income_expense import IncomeExpenseReads
from fiscus.persistence.reads.ledger import StatementReads, SumsRequest
from fiscus.services.planning import PlanningContext

_ZERO = Decimal(0)


async def income_expense_stats(
    ctx: PlanningContext,
    principal: Principal,
    *,
    from_day: date,
    to_day: date,
    interval: Interval,
    currency: str | None = None,
) -> IncomeExpenseStats:
    periods = split_periods(from_day, to_day, interval)
    before = shifted(periods[:1], Comparison.PREVIOUS_PERIOD, interval)[0]
    year_ago = shifted(periods, Comparison.SAME_PERIOD_LAST_YEAR, interval)
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        chart = [
            a
            for a in await reads.ledger.accounts()
            if a.type in (AccountType.INCOME, AccountType.EXPENSE)
        ]
        reporting = (currency or "").strip().upper() or _main_currency(chart)
        if currency and not any(a.currency == reporting for a in chart):
            raise ValidationFailed(
                [FieldIssue("currency", "INVALID", f"No category is kept in {reporting}.")]
            )
        ids = [a.id for a in chart if a.currency == reporting]
        statements = StatementReads.of(reads.ledger)
        current = await _sums(statements, [before, *periods], reporting, ids)
        last_year = await _sums(statements, list(year_ago), reporting, ids)
        payees = await IncomeExpenseReads.of(reads.ledger).top_payees(from_day, to_day, reporting)
    previous = {account: total for (account, col), total in current.items() if col == 0}
    shifted_current = {(a, c - 1): v for (a, c), v in current.items() if c > 0}
    return build_stats(
        currency=reporting,
        interval=interval,
        periods=periods,
        kinds={a.id: a.type for a in chart if a.currency == reporting},
        current=shifted_current,
        previous=previous,
        last_year=last_year,
        payees=payees,
    )


def _main_currency(chart: list[Account]) -> str:
    counts: dict[str, int] = {}
    for account in chart:
        counts[account.currency] = counts.get(account.currency, 0) + 1
    return max(sorted(counts), key=lambda c: counts[c]) if counts else "USD"


async def _sums(
    reads: StatementReads, columns: list[Period], currency: str, ids: list[UUID]
) -> dict[tuple[UUID, int], Decimal]:
    if not ids:
        return {}
    bounds = [p.start for p in columns] + [columns[-1].end + timedelta(days=1)]
    found = await reads.statement_sums(
        SumsRequest(bounds, columns[0].start, columns[-1].end, currency, ids)
    )
    sums: dict[tuple[UUID, int], Decimal] = {}
    for s in found:
        if s.column >= 0 and s.currency == currency:
            key = (s.account_id, s.column)
            sums[key] = sums.get(key, _ZERO) + s.amount
    return sums
