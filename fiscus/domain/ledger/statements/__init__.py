"""Financial statements from the books' figures: pure functions, no I/O.
See docs/LEDGER_STATEMENTS.md for the formulas."""

from fiscus.domain.ledger.statements.books import balance_sheet, income_statement, trial_balance
from fiscus.domain.ledger.statements.cashflow import (
    Activity,
    cash_account_ids,
    direct_cash_flow,
    indirect_cash_flow,
)
from fiscus.domain.ledger.statements.figures import (
    CurrencySum,
    Figures,
    StatementIntegrityError,
    figures_from_sums,
    reporting_currency,
)
from fiscus.domain.ledger.statements.model import Line, LineKind, Statement, StatementKind, compare
from fiscus.domain.ledger.statements.periods import (
    Comparison,
    Interval,
    Period,
    label,
    shifted,
    split_periods,
)

__all__ = [
    "Activity",
    "Comparison",
    "CurrencySum",
    "Figures",
    "Interval",
    "Line",
    "LineKind",
    "Period",
    "Statement",
    "StatementIntegrityError",
    "StatementKind",
    "balance_sheet",
    "cash_account_ids",
    "compare",
    "direct_cash_flow",
    "figures_from_sums",
    "income_statement",
    "indirect_cash_flow",
    "label",
    "reporting_currency",
    "shifted",
    "split_periods",
    "trial_balance",
]
