"""What a parser answers: the statement's lines in one sign convention, and the problems of
the rows it could not take, each with its line number in the file.

Sign convention: money **into** the account is positive, money out negative, whatever the
bank wrote (Discover's purchases are positive in its file; Capital One writes unsigned
Debit/Credit columns). For a card, a purchase is negative and a payment to the card positive.
A line's amount is therefore the ledger's signed amount on the bank or card account
(debit > 0), and the category side of its entry takes the opposite.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field
from decimal import Decimal


class StatementFormat(enum.StrEnum):
    CHASE_CHECKING = "chase_checking"
    CHASE_CARD = "chase_card"
    DISCOVER_CARD = "discover_card"
    CAPITAL_ONE_CARD = "capital_one_card"
    CAPITAL_ONE_360 = "capital_one_360"
    GENERIC_CSV = "generic_csv"
    OFX = "ofx"
    """OFX 1.x (SGML), OFX 2.x (XML) and Quicken's QFX (OFX with Intuit tags)."""
    PLAID = "plaid"
    """Lines that came from Plaid's /transactions/sync, not from a file."""


class ProblemKind(enum.StrEnum):
    FAILED = "failed"
    """The row was not imported (bad amount, bad date, missing field)."""
    SKIPPED = "skipped"
    """The row was read and deliberately left out (a zero amount)."""
    WARNING = "warning"
    """The row was imported, but something about it deserves a look (a running balance
    that does not follow)."""


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    """1-based line of the file where the row starts (0: the file as a whole)."""
    kind: ProblemKind
    code: str
    """An ``ErrorCode`` value: INVALID, REQUIRED, ZERO_AMOUNT, BALANCE_MISMATCH, ..."""
    field: str | None
    message: str


@dataclass(slots=True)
class StatementLine:
    """Treated as immutable; not ``frozen`` because a statement makes 100,000s of them and a
    frozen dataclass's constructor is several times slower."""

    line: int
    date: datetime.date
    """The date as written in the file (OFX ``20260929213000[-4:EDT]`` is the 29th)."""
    amount: Decimal
    """Signed: into the account > 0. Never zero (zero rows are skipped)."""
    description: str
    """The bank's text, as written (whitespace collapsed)."""
    posted_date: datetime.date | None = None
    memo: str | None = None
    payee: str | None = None
    """A payee the file names separately (OFX NAME/PAYEE, a mapped column)."""
    external_id: str | None = None
    """The bank's own id for the line (OFX FITID, a mapped reference column, Plaid's
    transaction_id): when present it is the dedupe key."""
    kind: str | None = None
    """The bank's type column (Chase ``Type``, OFX ``TRNTYPE``, Capital One's
    ``Transaction Type``)."""
    bank_category: str | None = None
    check_number: str | None = None
    card: str | None = None
    balance: Decimal | None = None
    """The bank's running balance after this line, when the file has one."""
    pending: bool = False
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class StatementBalance:
    amount: Decimal
    """Signed like the lines: what the account holds (a card's debt is negative)."""
    as_of: datetime.date


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    format: StatementFormat
    lines: list[StatementLine]
    problems: list[LineProblem] = field(default_factory=list)
    rows: int = 0
    """Data rows read (imported, failed or skipped)."""
    currency: str | None = None
    account_number: str | None = None
    """The account the file is for, as the file names it (OFX ACCTID; masked)."""
    ending_balance: StatementBalance | None = None
    newest_first: bool = False

    @property
    def failed(self) -> list[LineProblem]:
        return [p for p in self.problems if p.kind is ProblemKind.FAILED]

    @property
    def skipped(self) -> list[LineProblem]:
        return [p for p in self.problems if p.kind is ProblemKind.SKIPPED]

    @property
    def warnings(self) -> list[LineProblem]:
        return [p for p in self.problems if p.kind is ProblemKind.WARNING]


class RowError(Exception):
    """One row's problem, raised inside a parser and recorded with the row's line."""

    def __init__(self, code: str, field: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message
