"""Market-data tables.

Global (no ``org_id``; the app role may only SELECT them, writes go through the SECURITY
DEFINER functions of migration 0003): instruments, daily prices, corporate actions.
Tenant-owned (``org_id`` + forced RLS): manual instruments, their prices, and the
instruments an organization watches.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from fiscus.domain.marketdata import Instrument, InstrumentKind
from fiscus.persistence.models.base import Base, CreatedAtMixin, TenantMixin

KIND_CHECK = "kind IN (" + ",".join(f"'{k.value}'" for k in InstrumentKind) + ")"
PRECISION_CHECK = "price_precision BETWEEN 0 AND 10"
BAR_CHECK = "close > 0"


class InstrumentRow(CreatedAtMixin, Base):
    __tablename__ = "instruments"
    __table_args__ = (
        UniqueConstraint("symbol"),
        CheckConstraint(KIND_CHECK, name="kind"),
        CheckConstraint(PRECISION_CHECK, name="price_precision"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(CHAR(3))
    exchange: Mapped[str | None] = mapped_column(String(32))
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_symbol: Mapped[str | None] = mapped_column(String(64))
    price_precision: Mapped[int] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def to_domain(self) -> Instrument:
        return Instrument(
            self.id,
            self.symbol,
            self.name,
            InstrumentKind(self.kind),
            self.currency,
            self.exchange,
            self.provider,
            self.provider_symbol,
            self.price_precision,
        )


class DailyPriceRow(Base):
    __tablename__ = "daily_prices"
    __table_args__ = (
        PrimaryKeyConstraint("instrument_id", "day"),
        CheckConstraint(BAR_CHECK, name="close_positive"),
    )

    instrument_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("instruments.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    close: Mapped[Decimal] = mapped_column(Numeric)
    open: Mapped[Decimal | None] = mapped_column(Numeric)
    high: Mapped[Decimal | None] = mapped_column(Numeric)
    low: Mapped[Decimal | None] = mapped_column(Numeric)
    volume: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(32))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CorporateActionRow(Base):
    __tablename__ = "corporate_actions"
    __table_args__ = (
        PrimaryKeyConstraint("instrument_id", "day", "kind"),
        CheckConstraint("kind IN ('split','dividend')", name="kind"),
        CheckConstraint("kind <> 'split' OR (ratio IS NOT NULL AND ratio > 0)", name="split_ratio"),
        CheckConstraint(
            "kind <> 'dividend' OR (amount IS NOT NULL AND amount >= 0)", name="dividend_amount"
        ),
    )

    instrument_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("instruments.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    ratio: Mapped[Decimal | None] = mapped_column(Numeric)
    amount: Mapped[Decimal | None] = mapped_column(Numeric)
    source: Mapped[str] = mapped_column(String(32))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ManualInstrumentRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "manual_instruments"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        UniqueConstraint("org_id", "symbol"),
        CheckConstraint(KIND_CHECK, name="kind"),
        CheckConstraint(PRECISION_CHECK, name="price_precision"),
        ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    symbol: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(CHAR(3))
    exchange: Mapped[str | None] = mapped_column(String(32))
    price_precision: Mapped[int] = mapped_column(SmallInteger)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))

    def to_domain(self) -> Instrument:
        return Instrument(
            self.id,
            self.symbol,
            self.name,
            InstrumentKind(self.kind),
            self.currency,
            self.exchange,
            None,
            None,
            self.price_precision,
            org_id=self.org_id,
        )


class ManualPriceRow(TenantMixin, Base):
    __tablename__ = "manual_prices"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "instrument_id", "day"),
        ForeignKeyConstraint(
            ["org_id", "instrument_id"],
            ["manual_instruments.org_id", "manual_instruments.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint(BAR_CHECK, name="close_positive"),
        CheckConstraint("source IN ('manual','csv')", name="source"),
    )

    instrument_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    day: Mapped[date] = mapped_column(Date)
    close: Mapped[Decimal] = mapped_column(Numeric)
    open: Mapped[Decimal | None] = mapped_column(Numeric)
    high: Mapped[Decimal | None] = mapped_column(Numeric)
    low: Mapped[Decimal | None] = mapped_column(Numeric)
    volume: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(8))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    entered_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class InstrumentWatchRow(TenantMixin, CreatedAtMixin, Base):
    """An organization follows a global instrument (``trackInstrument``): the refresh cron
    keeps the union of watched instruments up to date."""

    __tablename__ = "instrument_watches"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "instrument_id"),
        ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
    )

    instrument_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("instruments.id", ondelete="CASCADE")
    )
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
