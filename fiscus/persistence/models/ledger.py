"""Ledger tables, all tenant-owned (``org_id`` leads every key, forced RLS, migration 0004).

``journal_entries`` / ``journal_lines`` hold the books. Only posted entries have rows in
``journal_lines`` (a draft keeps its lines in ``journal_entries.draft_lines``), so every
line is immutable: a trigger refuses UPDATE and DELETE of posted entries and of lines, and
INSERT of lines into an entry posted by an earlier transaction. ``ledger_account_days`` is
the derived summary (signed sum per account, currency and day), written in the posting's
transaction. Amounts: ``NUMERIC(20, 4)``, signed, debit > 0.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from fiscus.domain.ledger import Account, AccountType, BalanceAssertion
from fiscus.persistence.models.base import Base, CreatedAtMixin, TenantMixin

AMOUNT = Numeric(20, 4)
RATE = Numeric(20, 10)
TYPE_CHECK = "type IN (" + ",".join(f"'{t.value}'" for t in AccountType) + ")"


def _org_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE")


def _account_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["org_id", "account_id"],
        ["ledger_accounts.org_id", "ledger_accounts.id"],
        ondelete="CASCADE",
    )


class LedgerAccountRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        UniqueConstraint("org_id", "code"),
        CheckConstraint(TYPE_CHECK, name="type"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        _org_fk(),
        ForeignKeyConstraint(
            ["org_id", "parent_id"],
            ["ledger_accounts.org_id", "ledger_accounts.id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(CHAR(3))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    archived: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)
    tags: Mapped[dict[str, str]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb"), default=dict
    )

    def to_domain(self) -> Account:
        return Account(
            self.id,
            self.org_id,
            self.code,
            self.name,
            AccountType(self.type),
            self.currency,
            self.parent_id,
            self.archived,
            dict(self.tags),
        )


class JournalEntryRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "journal_entries"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint("status IN ('draft','posted')", name="status"),
        CheckConstraint(
            "(status = 'posted') = (posted_at IS NOT NULL AND draft_lines IS NULL)",
            name="posted_shape",
        ),
        _org_fk(),
        ForeignKeyConstraint(
            ["org_id", "reverses"],
            ["journal_entries.org_id", "journal_entries.id"],
            ondelete="CASCADE",
        ),
        Index("ix_journal_entries_org_id_entry_date", "org_id", "entry_date"),
        # An entry is reversed at most once.
        Index(
            "uq_journal_entries_org_id_reverses",
            "org_id",
            "reverses",
            unique=True,
            postgresql_where=text("reverses IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    entry_date: Mapped[date] = mapped_column(Date)
    memo: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(8))
    reverses: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    draft_lines: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)


class JournalLineRow(TenantMixin, Base):
    __tablename__ = "journal_lines"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "entry_id", "line_no"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("rate IS NULL OR rate > 0", name="rate_positive"),
        ForeignKeyConstraint(
            ["org_id", "entry_id"],
            ["journal_entries.org_id", "journal_entries.id"],
            ondelete="CASCADE",
        ),
        _account_fk(),
        Index(
            "ix_journal_lines_org_id_account_id_entry_date", "org_id", "account_id", "entry_date"
        ),
        Index("ix_journal_lines_org_id_entry_date", "org_id", "entry_date"),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    line_no: Mapped[int] = mapped_column(SmallInteger)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    entry_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(CHAR(3))
    rate: Mapped[Decimal | None] = mapped_column(RATE)
    dimensions: Mapped[dict[str, str]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb"), default=dict
    )
    counterparty: Mapped[str | None] = mapped_column(String(200))
    memo: Mapped[str | None] = mapped_column(String(500))


class LedgerAccountDayRow(TenantMixin, Base):
    """The derived summary. Never written by hand: the posting's transaction upserts it."""

    __tablename__ = "ledger_account_days"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "account_id", "currency", "day"),
        _account_fk(),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    currency: Mapped[str] = mapped_column(CHAR(3))
    day: Mapped[date] = mapped_column(Date)
    amount_sum: Mapped[Decimal] = mapped_column(Numeric)
    line_count: Mapped[int] = mapped_column(Integer)


class LedgerPeriodCloseRow(TenantMixin, Base):
    """History of closes and reopenings; the newest row's ``closed_through`` is the state
    (NULL: nothing closed)."""

    __tablename__ = "ledger_period_closes"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "seq"),
        CheckConstraint("action IN ('close','reopen')", name="action"),
        _org_fk(),
    )

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=False))
    closed_through: Mapped[date | None] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(8))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LedgerBalanceAssertionRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "ledger_balance_assertions"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        _account_fk(),
        Index("ix_ledger_balance_assertions_org_id_account_id_day", "org_id", "account_id", "day"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    day: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(CHAR(3))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    def to_domain(self) -> BalanceAssertion:
        return BalanceAssertion(self.id, self.account_id, self.day, self.amount, self.currency)


class IdempotencyKeyRow(TenantMixin, CreatedAtMixin, Base):
    """Generic: any entry-creating mutation claims ``(scope, key)`` in its own transaction and
    stores its result here; kept at least 24 hours (the hourly purge)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "scope", "key"),
        _org_fk(),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
