"""Bank import tables, all tenant-owned (``org_id`` leads every key, forced RLS, migration
0009).

- ``bank_imports``: one statement file (or one Plaid sync) imported into one ledger
  account: its bytes, format, status, progress and counts.
- ``bank_lines``: every bank line ever imported, once: the dedupe record (unique per
  account and dedupe key), the cleansed payee, the category and where it came from, and the
  draft journal entry it became (``entry_id``; the entry's own status says whether it was
  posted; a deleted draft leaves the line, so re-importing does not bring it back).
- ``bank_import_rows``: what each row of an import became (created, duplicate of an earlier
  line, skipped, failed), with the reason.
- ``import_csv_mappings``: saved column mappings for generic CSV files.
- ``bank_connections``: Plaid items, the access token encrypted at rest, the sync cursor.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CHAR,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from fiscus.persistence.models.base import Base, CreatedAtMixin, TenantMixin

AMOUNT = Numeric(20, 4)
IMPORT_STATUSES = ("queued", "running", "done", "failed")
ROW_OUTCOMES = ("created", "duplicate", "skipped", "failed")
CATEGORY_SOURCES = ("uncategorized", "rule", "suggestion", "accepted", "manual")


def _org_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE")


def _account_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["org_id", "account_id"],
        ["ledger_accounts.org_id", "ledger_accounts.id"],
        ondelete="CASCADE",
    )


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ",".join(f"'{v}'" for v in values) + ")"


class BankImportRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "bank_imports"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint(_one_of("status", IMPORT_STATUSES), name="status"),
        _org_fk(),
        _account_fk(),
        Index("ix_bank_imports_org_id_created_at", "org_id", "created_at"),
        Index("ix_bank_imports_org_id_account_id", "org_id", "account_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    source: Mapped[str] = mapped_column(String(16))
    connection_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    format: Mapped[str | None] = mapped_column(String(32))
    """As asked (None: detect); once parsed, the format read."""
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str | None] = mapped_column(CHAR(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    mapping: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    account_number: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(8))
    failure: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """A file-level problem ({field, code, message}); rows' problems are in the rows."""
    notes: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb"), default=list
    )
    """Warnings about the statement rather than a row ({line, code, field, message})."""
    rows: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    created_count: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    duplicate_count: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    failed_count: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    warning_count: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    ending_balance: Mapped[Decimal | None] = mapped_column(AMOUNT)
    ending_balance_date: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BankLineRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "bank_lines"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        UniqueConstraint("org_id", "account_id", "dedupe_key"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint(_one_of("category_source", CATEGORY_SOURCES), name="category_source"),
        _org_fk(),
        _account_fk(),
        ForeignKeyConstraint(
            ["org_id", "import_id"],
            ["bank_imports.org_id", "bank_imports.id"],
            ondelete="CASCADE",
        ),
        Index("ix_bank_lines_org_id_account_id_line_date", "org_id", "account_id", "line_date"),
        Index("ix_bank_lines_org_id_line_date", "org_id", "line_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    import_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    entry_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    line_date: Mapped[date] = mapped_column(Date)
    posted_date: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(CHAR(3))
    description: Mapped[str] = mapped_column(String(500))
    payee: Mapped[str] = mapped_column(String(200))
    memo: Mapped[str | None] = mapped_column(String(500))
    external_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(40))
    bank_category: Mapped[str | None] = mapped_column(String(100))
    check_number: Mapped[str | None] = mapped_column(String(40))
    card: Mapped[str | None] = mapped_column(String(40))
    pending: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)
    balance: Mapped[Decimal | None] = mapped_column(AMOUNT)
    category_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    category_source: Mapped[str] = mapped_column(String(16))
    rule_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    suggested_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    confidence: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    counterparty: Mapped[str | None] = mapped_column(String(200))
    dimensions: Mapped[dict[str, str]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb"), default=dict
    )
    tags: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), server_default=text("'{}'::varchar[]"), default=list
    )
    removed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)
    """Plaid removed the transaction (its draft entry is deleted with it)."""
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set by reconcileAccount once the statement's balance held."""


class BankImportRowRow(TenantMixin, Base):
    __tablename__ = "bank_import_rows"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "import_id", "line_no"),
        CheckConstraint(_one_of("outcome", ROW_OUTCOMES), name="outcome"),
        ForeignKeyConstraint(
            ["org_id", "import_id"],
            ["bank_imports.org_id", "bank_imports.id"],
            ondelete="CASCADE",
        ),
    )

    import_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    line_no: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(10))
    line_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    code: Mapped[str | None] = mapped_column(String(32))
    field: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str | None] = mapped_column(String(500))


class ImportCsvMappingRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "import_csv_mappings"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        UniqueConstraint("org_id", "name"),
        _org_fk(),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(100))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB)


class BankConnectionRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "bank_connections"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        UniqueConstraint("org_id", "item_id"),
        CheckConstraint("status IN ('active','error')", name="status"),
        _org_fk(),
        # The webhook finds a connection by Plaid's item id, before it knows the tenant
        # (through fiscus_bank_connection_for_item only).
        Index("ix_bank_connections_item_id", "item_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    provider: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(100))
    institution_name: Mapped[str | None] = mapped_column(String(200))
    access_token: Mapped[bytes] = mapped_column(LargeBinary)
    """AES-256-GCM ciphertext (nonce + sealed token), bound to (org, connection)."""
    key_id: Mapped[str] = mapped_column(String(32))
    cursor: Mapped[str | None] = mapped_column(Text)
    accounts: Mapped[dict[str, str]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb"), default=dict
    )
    """Plaid account_id -> ledger account id (string)."""
    status: Mapped[str] = mapped_column(String(8))
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
