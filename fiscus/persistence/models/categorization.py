"""Categorization tables, tenant-owned (migration 0009): an organization's ordered rules and
its one learned suggestion model (never read outside its organization: RLS, and the
repository filters by org as well)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from fiscus.persistence.models.base import Base, CreatedAtMixin, TenantMixin


class CategorizationRuleRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "categorization_rules"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
        Index("ix_categorization_rules_org_id_position", "org_id", "position"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"), default=True)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONB)
    actions: Mapped[dict[str, Any]] = mapped_column(JSONB)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CategorizationModelRow(TenantMixin, Base):
    """The organization's suggestion model: arrays (npz, no pickle) and how it measured."""

    __tablename__ = "categorization_models"
    __table_args__ = (
        PrimaryKeyConstraint("org_id"),
        ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
    )

    version: Mapped[int] = mapped_column(Integer)
    trained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    labels: Mapped[int] = mapped_column(Integer)
    """Labelled lines the model was trained and measured on."""
    held_out: Mapped[int] = mapped_column(Integer)
    accuracy: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    """On the held-out (newest) labelled lines; None when too few to hold any out."""
    classes: Mapped[int] = mapped_column(Integer)
    model: Mapped[bytes] = mapped_column(LargeBinary)
    training_seconds: Mapped[Decimal] = mapped_column(Numeric(10, 3))
