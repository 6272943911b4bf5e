"""Ledger reads (``reads.ledger``): the books (``books``), statements and the journal
export (``statements``), both over the derived summaries (``summary``)."""

from fiscus.persistence.reads.ledger.books import (
    EntryFilters,
    LedgerReads,
    PeriodBalance,
    account_of,
)
from fiscus.persistence.reads.ledger.statements import JournalReads, StatementReads, SumsRequest

__all__ = [
    "EntryFilters",
    "JournalReads",
    "LedgerReads",
    "PeriodBalance",
    "StatementReads",
    "SumsRequest",
    "account_of",
]
