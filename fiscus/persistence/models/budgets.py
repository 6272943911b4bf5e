"""Budget tables (migration 0008): budgets and the alerts already emitted, one row per
(budget, month, kind) so each alert goes out once."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CHAR,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from fiscus.domain.budgets import Budget, BudgetAlertKind, Rollover
from fiscus.persistence.models.base import Base, CreatedAtMixin, TenantMixin
from fiscus.persistence.models.debts import AMOUNT, account_fk, org_fk


class BudgetRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "budgets"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("extract(day FROM start_month) = 1", name="start_month"),
        CheckConstraint(
            "rollover IN (" + ",".join(f"'{r.value}'" for r in Rollover) + ")", name="rollover"
        ),
        org_fk(),
        account_fk("account_id"),
        Index("ix_budgets_org_id_account_id", "org_id", "account_id"),
        Index("ix_budgets_org_id_created_at", "org_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    include_subtree: Mapped[bool] = mapped_column(Boolean)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(CHAR(3))
    rollover: Mapped[str] = mapped_column(String(16))
    alert_threshold_percent: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    start_month: Mapped[date] = mapped_column(Date)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    def to_domain(self) -> Budget:
        return Budget(
            self.id,
            self.org_id,
            self.name,
            self.account_id,
            self.include_subtree,
            self.amount,
            self.currency,
            Rollover(self.rollover),
            self.alert_threshold_percent,
            self.start_month,
            self.created_at,
        )


class BudgetAlertRow(TenantMixin, Base):
    __tablename__ = "budget_alerts"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "budget_id", "month", "kind"),
        CheckConstraint(
            "kind IN (" + ",".join(f"'{k.value}'" for k in BudgetAlertKind) + ")", name="kind"
        ),
        ForeignKeyConstraint(
            ["org_id", "budget_id"], ["budgets.org_id", "budgets.id"], ondelete="CASCADE"
        ),
    )

    budget_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    month: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(24))
    emitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    spent: Mapped[Decimal] = mapped_column(AMOUNT)
    available: Mapped[Decimal] = mapped_column(AMOUNT)
