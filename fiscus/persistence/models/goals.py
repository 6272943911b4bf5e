"""Goal tables (migration 0008): goals, their linked accounts, contributions (each a ledger
transfer) and the milestones already emitted (one row per goal and percent)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CHAR,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from fiscus.domain.goals import Goal, GoalKind, GoalTracking
from fiscus.persistence.models.base import Base, CreatedAtMixin, TenantMixin
from fiscus.persistence.models.debts import AMOUNT, account_fk, entry_fk, org_fk


class GoalRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "goals"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint("target_amount > 0", name="target_positive"),
        CheckConstraint(
            "kind IN (" + ",".join(f"'{k.value}'" for k in GoalKind) + ")", name="kind"
        ),
        CheckConstraint(
            "tracking IN (" + ",".join(f"'{t.value}'" for t in GoalTracking) + ")",
            name="tracking",
        ),
        org_fk(),
        Index("ix_goals_org_id_created_at", "org_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    target_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(CHAR(3))
    target_date: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[int] = mapped_column(SmallInteger)
    tracking: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    def to_domain(self, account_ids: tuple[uuid.UUID, ...] = ()) -> Goal:
        return Goal(
            self.id,
            self.org_id,
            self.name,
            GoalKind(self.kind),
            self.target_amount,
            self.currency,
            self.target_date,
            self.priority,
            GoalTracking(self.tracking),
            account_ids,
            self.created_at,
        )


def goal_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["org_id", "goal_id"], ["goals.org_id", "goals.id"], ondelete="CASCADE"
    )


class GoalAccountRow(TenantMixin, Base):
    __tablename__ = "goal_accounts"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "goal_id", "account_id"),
        goal_fk(),
        account_fk("account_id"),
        Index("ix_goal_accounts_org_id_account_id", "org_id", "account_id"),
    )

    goal_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class GoalContributionRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "goal_contributions"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        goal_fk(),
        entry_fk(),
        Index("ix_goal_contributions_org_id_goal_id_day", "org_id", "goal_id", "contributed_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    goal_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    contributed_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)


class GoalMilestoneRow(TenantMixin, Base):
    __tablename__ = "goal_milestones"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "goal_id", "percent"),
        CheckConstraint("percent IN (25, 50, 75, 100)", name="percent"),
        goal_fk(),
    )

    goal_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    percent: Mapped[int] = mapped_column(SmallInteger)
    reached_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
