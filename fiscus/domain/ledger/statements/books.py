"""Trial balance, income statement and balance sheet from ``Figures``.

Signs: figures are signed, debit positive. The trial balance shows them as they are (a
debit column and a credit column). The income statement shows income and expenses as
positive numbers (income = -movement, expense = +movement; net income = income -
expenses). The balance sheet shows assets as their debit balance and liabilities and equity
as their credit balance (-balance), plus the earnings not yet closed into equity
(cumulative income - expenses up to the column's end).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from fiscus.domain.ledger.accounts import Account, AccountType
from fiscus.domain.ledger.statements.figures import ZERO, Figures, StatementIntegrityError
from fiscus.domain.ledger.statements.model import (
    Line,
    LineKind,
    Statement,
    StatementKind,
    heading,
    total,
    tree_lines,
)

_SECTION_LABELS = {
    AccountType.ASSET: "Assets",
    AccountType.LIABILITY: "Liabilities",
    AccountType.EQUITY: "Equity",
    AccountType.INCOME: "Income",
    AccountType.EXPENSE: "Expenses",
}


def _columns(figures: Figures) -> range:
    return range(len(figures.columns))


def trial_balance(figures: Figures) -> Statement:
    """Each account's closing balance at the end of every column (cumulative since the
    books began; income and expenses are not closed). Sums to zero in every column."""
    width = len(figures.columns)
    lines: list[Line] = []
    for account in sorted(figures.accounts, key=lambda a: (a.code, a.name)):
        amounts = tuple(figures.closing(account.id, c) for c in _columns(figures))
        if account.archived and not any(amounts):
            continue
        lines.append(
            Line(
                key=f"account:{account.id}",
                label=account.name,
                kind=LineKind.ACCOUNT,
                depth=0,
                amounts=amounts,
                account_id=account.id,
                code=account.code,
            )
        )
    debits = [sum((max(line.amounts[c], ZERO) for line in lines), ZERO) for c in range(width)]
    credits = [sum((max(-line.amounts[c], ZERO) for line in lines), ZERO) for c in range(width)]
    for column, (debit, credit) in enumerate(zip(debits, credits, strict=True)):
        if debit != credit:
            raise StatementIntegrityError(
                f"trial balance column {column}: debits {debit} != credits {credit}"
            )
    lines.append(total("total_debits", "Total debits", debits))
    lines.append(total("total_credits", "Total credits", credits))
    return Statement(StatementKind.TRIAL_BALANCE, figures.currency, figures.columns, tuple(lines))


def _section(
    figures: Figures, account_type: AccountType, amount_of: Callable[[Account], tuple[Decimal, ...]]
) -> tuple[list[Line], tuple[Decimal, ...]]:
    width = len(figures.columns)
    key = account_type.value
    lines, totals = tree_lines(figures.of_type(account_type), amount_of, width, depth=1)
    label = _SECTION_LABELS[account_type]
    return (
        [
            heading(key, label, width),
            *lines,
            total(f"total_{key}", f"Total {label.lower()}", totals),
        ],
        totals,
    )


def net_income_per_column(figures: Figures) -> tuple[Decimal, ...]:
    """Income - expenses moved in each column: minus the sum of their signed movements."""
    flows = figures.of_type(AccountType.INCOME, AccountType.EXPENSE)
    return tuple(-sum((figures.movement(a.id, c) for a in flows), ZERO) for c in _columns(figures))


def income_statement(figures: Figures) -> Statement:
    def income(account: Account) -> tuple[Decimal, ...]:
        return tuple(-figures.movement(account.id, c) for c in _columns(figures))

    def expense(account: Account) -> tuple[Decimal, ...]:
        return tuple(figures.movement(account.id, c) for c in _columns(figures))

    income_lines, income_total = _section(figures, AccountType.INCOME, income)
    expense_lines, expense_total = _section(figures, AccountType.EXPENSE, expense)
    net = tuple(i - e for i, e in zip(income_total, expense_total, strict=True))
    if net != net_income_per_column(figures):
        raise StatementIntegrityError("net income differs from the income and expense sections")
    lines = [*income_lines, *expense_lines, total("net_income", "Net income", net)]
    return Statement(
        StatementKind.INCOME_STATEMENT, figures.currency, figures.columns, tuple(lines)
    )


def balance_sheet(figures: Figures) -> Statement:
    """At the end of every column. Asserts assets = liabilities + equity + earnings."""
    width = len(figures.columns)

    def debit_balance(account: Account) -> tuple[Decimal, ...]:
        return tuple(figures.closing(account.id, c) for c in _columns(figures))

    def credit_balance(account: Account) -> tuple[Decimal, ...]:
        return tuple(-figures.closing(account.id, c) for c in _columns(figures))

    asset_lines, assets = _section(figures, AccountType.ASSET, debit_balance)
    liability_lines, liabilities = _section(figures, AccountType.LIABILITY, credit_balance)
    equity_lines, equity = _section(figures, AccountType.EQUITY, credit_balance)
    flows = figures.of_type(AccountType.INCOME, AccountType.EXPENSE)
    earnings = tuple(-sum((figures.closing(a.id, c) for a in flows), ZERO) for c in range(width))
    right = tuple(li + eq + ea for li, eq, ea in zip(liabilities, equity, earnings, strict=True))
    for column, (left_side, right_side) in enumerate(zip(assets, right, strict=True)):
        if left_side != right_side:
            raise StatementIntegrityError(
                f"balance sheet column {column}: assets {left_side} != liabilities + equity "
                f"+ earnings {right_side}"
            )
    lines = [
        *asset_lines,
        *liability_lines,
        *equity_lines[:-1],
        total("earnings", "Earnings not closed into equity", earnings, depth=1),
        total(
            "total_equity",
            "Total equity",
            tuple(e + a for e, a in zip(equity, earnings, strict=True)),
        ),
        total("total_liabilities_and_equity", "Total liabilities and equity", right),
    ]
    return Statement(StatementKind.BALANCE_SHEET, figures.currency, figures.columns, tuple(lines))
