"""The ledger's books: chart of accounts, journal entries, periods, assertions, summaries."""

from fiscus.domain.ledger.accounts import (
    Account,
    AccountType,
    Side,
    check_parent,
    normalize_code,
    normalize_name,
    normalize_tags,
)
from fiscus.domain.ledger.balances import AccountDaySum, BalanceAssertion
from fiscus.domain.ledger.entries import (
    AMOUNT_SCALE,
    EntryStatus,
    JournalEntry,
    JournalLine,
    line_issues,
    needs_rates,
)

__all__ = [
    "AMOUNT_SCALE",
    "Account",
    "AccountDaySum",
    "AccountType",
    "BalanceAssertion",
    "EntryStatus",
    "JournalEntry",
    "JournalLine",
    "Side",
    "check_parent",
    "line_issues",
    "needs_rates",
    "normalize_code",
    "normalize_name",
    "normalize_tags",
]
