"""Property-management tables (migration 0011), all tenant-owned. Occupancy is never stored:
a unit is occupied on a day when a lease covers it. ``leases.billed_through`` is where the
billing job starts looking for unbilled months; the charges' unique ``source_key`` is what
makes each month's rent exist once."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
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

from fiscus.persistence.models.base import Base, CreatedAtMixin, TenantMixin

AMOUNT = Numeric(20, 4)


def _fk(column: str, table: str, *, ondelete: str | None = None) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["org_id", column], [f"{table}.org_id", f"{table}.id"], ondelete=ondelete
    )


def _org_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE")


class BuildingRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "buildings"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        _org_fk(),
        Index("ix_buildings_org_id_name", "org_id", "name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    currency: Mapped[str] = mapped_column(CHAR(3))
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb"), default=dict
    )


class UnitRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "units"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        UniqueConstraint("org_id", "building_id", "number"),
        CheckConstraint("bedrooms IS NULL OR bedrooms >= 0", name="bedrooms"),
        CheckConstraint("size IS NULL OR size > 0", name="size"),
        _org_fk(),
        _fk("building_id", "buildings"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    building_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    number: Mapped[str] = mapped_column(String(32))
    size: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    bedrooms: Mapped[int | None] = mapped_column(SmallInteger)
    market_rent: Mapped[Decimal | None] = mapped_column(AMOUNT)


class LeaseRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "leases"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),
        CheckConstraint(
            "terminated_on IS NULL OR terminated_on >= starts_on", name="terminated_after_start"
        ),
        CheckConstraint("due_day BETWEEN 1 AND 28", name="due_day"),
        CheckConstraint("grace_days BETWEEN 0 AND 60", name="grace_days"),
        CheckConstraint("monthly_rent > 0", name="rent_positive"),
        CheckConstraint("deposit >= 0", name="deposit"),
        CheckConstraint(
            "late_fee_kind IS NULL OR late_fee_kind IN ('fixed','percent')", name="fee"
        ),
        CheckConstraint("late_fee_mode IN ('once','daily')", name="fee_mode"),
        _org_fk(),
        _fk("unit_id", "units"),
        Index("ix_leases_org_id_unit_id_starts_on", "org_id", "unit_id", "starts_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    terminated_on: Mapped[date | None] = mapped_column(Date)
    monthly_rent: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(CHAR(3))
    deposit: Mapped[Decimal] = mapped_column(AMOUNT, server_default=text("0"), default=0)
    due_day: Mapped[int] = mapped_column(SmallInteger)
    grace_days: Mapped[int] = mapped_column(SmallInteger)
    late_fee_kind: Mapped[str | None] = mapped_column(String(8))
    late_fee_amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    late_fee_mode: Mapped[str] = mapped_column(String(8), server_default=text("'once'"))
    late_fee_cap: Mapped[Decimal | None] = mapped_column(AMOUNT)
    billed_through: Mapped[date | None] = mapped_column(Date)


class LeasePartyRow(TenantMixin, Base):
    __tablename__ = "lease_parties"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "lease_id", "counterparty_id"),
        CheckConstraint("share > 0 AND share <= 1", name="share"),
        _fk("lease_id", "leases", ondelete="CASCADE"),
        _fk("counterparty_id", "counterparties"),
        Index("ix_lease_parties_org_id_counterparty_id", "org_id", "counterparty_id"),
    )

    lease_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    counterparty_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    share: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    position: Mapped[int] = mapped_column(SmallInteger)


class LeaseDocumentRow(TenantMixin, Base):
    """Metadata only: where the file lives is the storage's business."""

    __tablename__ = "lease_documents"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint("size_bytes IS NULL OR size_bytes >= 0", name="size"),
        _fk("lease_id", "leases", ondelete="CASCADE"),
        Index("ix_lease_documents_org_id_lease_id", "org_id", "lease_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    lease_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    storage_key: Mapped[str | None] = mapped_column(String(500))
    uploaded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class PropertyExpenseRow(TenantMixin, CreatedAtMixin, Base):
    """An expense paid for a building (or one of its units), posted to the ledger with the
    building and unit as dimensions."""

    __tablename__ = "property_expenses"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        _org_fk(),
        _fk("vendor_id", "counterparties"),
        _fk("building_id", "buildings"),
        _fk("unit_id", "units"),
        _fk("account_id", "ledger_accounts"),
        _fk("payment_account_id", "ledger_accounts"),
        _fk("entry_id", "journal_entries"),
        Index(
            "ix_property_expenses_org_id_building_id_spent_on", "org_id", "building_id", "spent_on"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    vendor_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    building_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    unit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(CHAR(3))
    spent_on: Mapped[date] = mapped_column(Date)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    payment_account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    description: Mapped[str | None] = mapped_column(String(500))
    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
