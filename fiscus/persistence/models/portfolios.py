"""Portfolio tables, all tenant-owned (``org_id`` leads every key, forced RLS, migration 0007).

Only ``portfolio_transactions`` is truth. ``portfolio_holdings`` (quantity and cost per
instrument) and ``portfolios.cash`` are a cache of a replay of those transactions
(``fiscus.domain.portfolios.engine.replay``), rewritten in the same database transaction
as any change to the portfolio's transactions, so a committed cache always equals a fresh
replay (``services.portfolios.cache.verify_holdings_cache``). Instruments live in two
tables (global ``instruments`` and the organization's ``manual_instruments``), so
``instrument_id`` carries no foreign key; the transaction keeps the instrument's currency.
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
    Numeric,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from fiscus.domain.portfolios.model import CostBasisMethod, TransactionType
from fiscus.persistence.models.base import Base, CreatedAtMixin, TenantMixin, utcnow

AMOUNT = Numeric(20, 4)
QUANTITY = Numeric(28, 10)
PRICE = Numeric(28, 10)
RATE = Numeric(20, 10)
METHOD_CHECK = "cost_basis_method IN (" + ",".join(f"'{m.value}'" for m in CostBasisMethod) + ")"
TYPE_CHECK = "type IN (" + ",".join(f"'{t.value}'" for t in TransactionType) + ")"


def _portfolio_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["org_id", "portfolio_id"],
        ["portfolios.org_id", "portfolios.id"],
        ondelete="CASCADE",
    )


class PortfolioRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "portfolios"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint(METHOD_CHECK, name="cost_basis_method"),
        ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
        Index("uq_portfolios_org_id_name_lower", "org_id", func.lower(text("name")), unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    base_currency: Mapped[str] = mapped_column(CHAR(3))
    cost_basis_method: Mapped[str] = mapped_column(String(16))
    allow_margin: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)
    cash: Mapped[Decimal] = mapped_column(AMOUNT, server_default=text("0"), default=Decimal(0))
    """Cache: the replay's cash in the base currency (see the module docstring)."""
    archived: Mapped[bool] = mapped_column(Boolean, server_default=text("false"), default=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )


class PortfolioTransactionRow(TenantMixin, Base):
    __tablename__ = "portfolio_transactions"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint(TYPE_CHECK, name="type"),
        CheckConstraint("fx_rate > 0", name="fx_rate_positive"),
        _portfolio_fk(),
        # A broker's id names one transaction per portfolio: re-imports find it.
        Index(
            "uq_portfolio_transactions_org_id_portfolio_id_reference",
            "org_id",
            "portfolio_id",
            "reference",
            unique=True,
            postgresql_where=text("reference IS NOT NULL"),
        ),
        Index(
            "ix_portfolio_transactions_org_id_portfolio_id_trade_date_seq",
            "org_id",
            "portfolio_id",
            "trade_date",
            "seq",
        ),
        Index(
            "ix_portfolio_transactions_org_id_portfolio_id_instrument_id",
            "org_id",
            "portfolio_id",
            "instrument_id",
        ),
        Index(
            "ix_portfolio_transactions_org_id_transfer_id",
            "org_id",
            "transfer_id",
            postgresql_where=text("transfer_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    portfolio_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=False))
    """Recording order: same-day transactions replay in it."""
    type: Mapped[str] = mapped_column(String(16))
    trade_date: Mapped[date] = mapped_column(Date)
    instrument_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    currency: Mapped[str] = mapped_column(CHAR(3))
    fx_rate: Mapped[Decimal] = mapped_column(RATE)
    quantity: Mapped[Decimal | None] = mapped_column(QUANTITY)
    price: Mapped[Decimal | None] = mapped_column(PRICE)
    fee: Mapped[Decimal] = mapped_column(AMOUNT, server_default=text("0"), default=Decimal(0))
    amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    ratio: Mapped[Decimal | None] = mapped_column(QUANTITY)
    lots: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    """SPECIFIC picks: ``[{"lot_id", "quantity"}]``."""
    transferred_lots: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    """TRANSFER_IN only: ``[{"acquired_on", "quantity", "cost_basis", "cost_local"}]``, taken
    from the source portfolio's replay (and recomputed when that history changes)."""
    transfer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    """Pairs a TRANSFER_OUT with its TRANSFER_IN (another portfolio of the organization)."""
    reference: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )


class PortfolioHoldingRow(TenantMixin, Base):
    """Cache of a replay: one row per instrument with a non-zero quantity."""

    __tablename__ = "portfolio_holdings"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "portfolio_id", "instrument_id"),
        _portfolio_fk(),
    )

    portfolio_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    instrument_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    cost_basis: Mapped[Decimal] = mapped_column(AMOUNT)
    """Base currency."""
    cost_local: Mapped[Decimal] = mapped_column(AMOUNT)
    """The instrument's currency."""


class PortfolioCsvMappingRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "portfolio_csv_mappings"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        UniqueConstraint("org_id", "name"),
        ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(100))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB)
