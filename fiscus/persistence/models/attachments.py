"""Receipts and other files linked to journal entries (migration 0008). The bytes live in
object storage under ``storage_key``; the row is the organization's proof of ownership."""

from __future__ import annotations

import uuid

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from fiscus.persistence.models.base import Base, CreatedAtMixin, TenantMixin
from fiscus.persistence.models.debts import entry_fk, org_fk


class AttachmentRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "attachments"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint("byte_size > 0", name="size_positive"),
        org_fk(),
        entry_fk(),
        Index("ix_attachments_org_id_entry_id", "org_id", "entry_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64))
    byte_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
