"""Derived ledger summaries beyond the posting's per-day rows (migration 0006)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    CHAR,
    CheckConstraint,
    Date,
    ForeignKeyConstraint,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from fiscus.persistence.models.base import Base, TenantMixin


class LedgerAccountMonthRow(TenantMixin, Base):
    """Signed sum and line count per account, currency and calendar month (``month`` is the
    month's first day). Never written by the application: the statement-level trigger
    ``journal_lines_months_maintained`` upserts it in the transaction that inserts lines."""

    __tablename__ = "ledger_account_months"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "account_id", "currency", "month"),
        ForeignKeyConstraint(
            ["org_id", "account_id"],
            ["ledger_accounts.org_id", "ledger_accounts.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("extract(day FROM month) = 1", name="first_day"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    currency: Mapped[str] = mapped_column(CHAR(3))
    month: Mapped[date] = mapped_column(Date)
    amount_sum: Mapped[Decimal] = mapped_column(Numeric)
    line_count: Mapped[int] = mapped_column(Integer)
