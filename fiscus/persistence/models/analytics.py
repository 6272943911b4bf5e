"""Analytics tables, tenant-owned (``org_id`` leads every key, forced RLS, migration 0012).

``backtests``: one row per backtest run: the request (canonical JSON, and its SHA-256 so
identical requests share a run while it is queued or running: a partial unique index),
status and progress, and on success a small ``summary`` (metrics and final holdings, what
lists show) and the big ``series`` (equity curves and trades, read only when asked).
``analytics_settings``: the organization's risk-free rate (a constant or an instrument).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from fiscus.persistence.models.base import Base, CreatedAtMixin, TenantMixin, utcnow

BACKTEST_STATUSES = ("QUEUED", "RUNNING", "SUCCEEDED", "FAILED")
STATUS_CHECK = "status IN (" + ",".join(f"'{s}'" for s in BACKTEST_STATUSES) + ")"


class BacktestRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "backtests"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint(STATUS_CHECK, name="status"),
        ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
        Index("ix_backtests_org_id_created_at_id", "org_id", "created_at", "id"),
        Index(
            "uq_backtests_org_id_request_hash_active",
            "org_id",
            "request_hash",
            unique=True,
            postgresql_where=text("status IN ('QUEUED','RUNNING')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    request_hash: Mapped[str] = mapped_column(String(64))
    request: Mapped[dict[str, Any]] = mapped_column(JSONB)
    progress: Mapped[Decimal] = mapped_column(
        Numeric(5, 4), server_default=text("0"), default=Decimal(0)
    )
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    series: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AnalyticsSettingsRow(TenantMixin, Base):
    __tablename__ = "analytics_settings"
    __table_args__ = (
        PrimaryKeyConstraint("org_id"),
        ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
    )

    risk_free_rate: Mapped[Decimal | None] = mapped_column(Numeric(12, 8))
    """Annual, 0.03 = 3 %."""
    risk_free_symbol: Mapped[str | None] = mapped_column(String(32))
    """An instrument whose closes are annual rates in PERCENT (like ^IRX): 5.2 = 5.2 %."""
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
