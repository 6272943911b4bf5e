"""Imports and bank lines as the books keep them (what services return and the API shows)."""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from fiscus.domain.imports.model import StatementBalance


class ImportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (ImportStatus.DONE, ImportStatus.FAILED)


class RowOutcome(enum.StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"
    FAILED = "failed"


class CategorySource(enum.StrEnum):
    UNCATEGORIZED = "uncategorized"
    RULE = "rule"
    SUGGESTION = "suggestion"
    """Applied from a confident suggestion; not a label until accepted."""
    ACCEPTED = "accepted"
    """A suggestion the user accepted: a label for the next training."""
    MANUAL = "manual"
    """Set by hand: a label."""

    @property
    def is_label(self) -> bool:
        return self in (CategorySource.RULE, CategorySource.ACCEPTED, CategorySource.MANUAL)


@dataclass(frozen=True, slots=True)
class ImportFailure:
    field: str | None
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class ImportNote:
    """A warning about the statement as a whole (several accounts in one OFX file)."""

    line: int
    code: str
    field: str | None
    message: str


@dataclass(frozen=True, slots=True)
class BankImport:
    id: UUID
    account_id: UUID
    source: str
    """file or plaid"""
    status: ImportStatus
    format: str | None
    file_name: str | None
    created_at: datetime.datetime
    created_by: UUID | None = None
    connection_id: UUID | None = None
    failure: ImportFailure | None = None
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    skipped: int = 0
    failed: int = 0
    warnings: int = 0
    ending_balance: StatementBalance | None = None
    started_at: datetime.datetime | None = None
    finished_at: datetime.datetime | None = None
    notes: tuple[ImportNote, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportRow:
    import_id: UUID
    line: int
    outcome: RowOutcome
    line_id: UUID | None
    code: str | None = None
    field: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class BankLine:
    id: UUID
    account_id: UUID
    import_id: UUID
    date: datetime.date
    amount: Decimal
    currency: str
    description: str
    payee: str
    category_source: CategorySource
    entry_id: UUID | None = None
    entry_status: str | None = None
    """draft or posted; None once the draft was deleted."""
    posted_date: datetime.date | None = None
    memo: str | None = None
    external_id: str | None = None
    kind: str | None = None
    bank_category: str | None = None
    check_number: str | None = None
    card: str | None = None
    pending: bool = False
    balance: Decimal | None = None
    category_account_id: UUID | None = None
    rule_id: UUID | None = None
    suggested_account_id: UUID | None = None
    confidence: Decimal | None = None
    counterparty: str | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)
    tags: Sequence[str] = ()
    removed: bool = False
    cleared_at: datetime.datetime | None = None
