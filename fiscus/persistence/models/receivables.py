"""Receivables tables (migration 0011), all tenant-owned: ``org_id`` leads every key, forced
RLS. Charges, payments and allocations are never deleted (the app role may not): a void
fills ``voided_on`` and points at the reversal of the document's ledger entry. No balance is
stored anywhere; ``charges.settled_from`` is a derived date (see ``domain.receivables.
aging.settled_from``) kept in the writing transaction so aging skips settled charges.
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
    Numeric,
    PrimaryKeyConstraint,
    String,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from fiscus.domain.receivables import ChargeKind, CounterpartyKind, PaymentMethod
from fiscus.persistence.models.base import Base, CreatedAtMixin, TenantMixin

AMOUNT = Numeric(20, 4)
OPEN_FOREVER = "'infinity'::date"


def _one_of(column: str, values: Any) -> str:
    return f"{column} IN (" + ",".join(f"'{v.value}'" for v in values) + ")"


def _fk(column: str, table: str, *, ondelete: str | None = None) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["org_id", column], [f"{table}.org_id", f"{table}.id"], ondelete=ondelete
    )


def _entry_fk(column: str) -> ForeignKeyConstraint:
    """To the document's ledger entry, checked at commit: a generated charge is inserted
    first (its unique key decides whether it is new), its entry posted after."""
    return ForeignKeyConstraint(
        ["org_id", column],
        ["journal_entries.org_id", "journal_entries.id"],
        deferrable=True,
        initially="DEFERRED",
    )


def _org_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE")


class CounterpartyRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "counterparties"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint(_one_of("kind", CounterpartyKind), name="kind"),
        _org_fk(),
        _fk("control_account_id", "ledger_accounts"),
        _fk("credit_account_id", "ledger_accounts"),
        _fk("default_account_id", "ledger_accounts"),
        Index("ix_counterparties_org_id_name", "org_id", "name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(500))
    currency: Mapped[str] = mapped_column(CHAR(3))
    control_account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    credit_account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    default_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    archived: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)


class ChargeRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "charges"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint(_one_of("kind", ChargeKind), name="kind"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("voided_on IS NULL OR voided_on >= issued_on", name="void_after_issue"),
        _org_fk(),
        _fk("counterparty_id", "counterparties"),
        _fk("account_id", "ledger_accounts"),
        _entry_fk("entry_id"),
        _entry_fk("void_entry_id"),
        _fk("lease_id", "leases"),
        _fk("fee_for", "charges"),
        Index(
            "uq_charges_org_id_source_key",
            "org_id",
            "source_key",
            unique=True,
            postgresql_where=text("source_key IS NOT NULL"),
        ),
        Index("ix_charges_org_id_counterparty_id_due_on", "org_id", "counterparty_id", "due_on"),
        Index("ix_charges_org_id_due_on", "org_id", "due_on"),
        # Aging as of D reads the charges with issued_on <= D < settled_from from this index.
        Index("ix_charges_org_id_settled_from_issued_on", "org_id", "settled_from", "issued_on"),
        Index(
            "ix_charges_org_id_lease_id",
            "org_id",
            "lease_id",
            postgresql_where=text("lease_id IS NOT NULL"),
        ),
        Index(
            "ix_charges_org_id_fee_for",
            "org_id",
            "fee_for",
            postgresql_where=text("fee_for IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    counterparty_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(CHAR(3))
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(String(500))
    dimensions: Mapped[dict[str, str]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb"), default=dict
    )
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    lease_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    source_key: Mapped[str | None] = mapped_column(String(200))
    fee_for: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    voided_on: Mapped[date | None] = mapped_column(Date)
    void_reason: Mapped[str | None] = mapped_column(String(500))
    void_entry_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    settled_from: Mapped[date] = mapped_column(Date, server_default=text(OPEN_FOREVER))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class PaymentRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint(_one_of("method", PaymentMethod), name="method"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("voided_on IS NULL OR voided_on >= received_on", name="void_after_receipt"),
        _org_fk(),
        _fk("counterparty_id", "counterparties"),
        _fk("account_id", "ledger_accounts"),
        _entry_fk("entry_id"),
        _entry_fk("void_entry_id"),
        Index(
            "ix_payments_org_id_counterparty_id_received_on",
            "org_id",
            "counterparty_id",
            "received_on",
        ),
        Index("ix_payments_org_id_received_on", "org_id", "received_on"),
        # Payments with money left to allocate (a counterparty's credit).
        Index(
            "ix_payments_org_id_counterparty_id_unallocated",
            "org_id",
            "counterparty_id",
            postgresql_where=text("NOT fully_allocated AND voided_on IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    counterparty_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(CHAR(3))
    received_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str | None] = mapped_column(String(100))
    memo: Mapped[str | None] = mapped_column(String(500))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    voided_on: Mapped[date | None] = mapped_column(Date)
    void_reason: Mapped[str | None] = mapped_column(String(500))
    void_entry_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    fully_allocated: Mapped[bool] = mapped_column(
        Boolean, server_default=text("false"), default=False
    )
    """Derived, like ``charges.settled_from``: nothing left to allocate now."""
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class AllocationRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "allocations"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "voided_on IS NULL OR voided_on >= allocated_on", name="void_after_allocation"
        ),
        _org_fk(),
        _fk("payment_id", "payments"),
        _fk("charge_id", "charges"),
        _fk("counterparty_id", "counterparties"),
        _entry_fk("entry_id"),
        _entry_fk("void_entry_id"),
        Index("ix_allocations_org_id_charge_id", "org_id", "charge_id"),
        Index("ix_allocations_org_id_payment_id", "org_id", "payment_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    charge_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    counterparty_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    allocated_on: Mapped[date] = mapped_column(Date)
    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    voided_on: Mapped[date | None] = mapped_column(Date)
    void_entry_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class DelinquencySnapshotRow(TenantMixin, Base):
    """The month-end aging per counterparty, stored by the snapshot job for trend reports
    (a historical record: later back-dated changes do not rewrite it)."""

    __tablename__ = "delinquency_snapshots"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "as_of", "counterparty_id"),
        _org_fk(),
        _fk("counterparty_id", "counterparties", ondelete="CASCADE"),
    )

    as_of: Mapped[date] = mapped_column(Date)
    counterparty_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    currency: Mapped[str] = mapped_column(CHAR(3))
    current: Mapped[Decimal] = mapped_column(AMOUNT)
    days_1_30: Mapped[Decimal] = mapped_column(AMOUNT)
    days_31_60: Mapped[Decimal] = mapped_column(AMOUNT)
    days_61_90: Mapped[Decimal] = mapped_column(AMOUNT)
    over_90: Mapped[Decimal] = mapped_column(AMOUNT)
    open_charges: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
