"""Debt tables (migration 0008), all tenant-owned: ``org_id`` leads every key, forced RLS.

Nothing derived is stored: a debt's balance, interest paid and payoff date come from its
terms and its payments (``fiscus.domain.debts.state``). ``debt_due_notices`` makes the
daily "payment due" event happen once per debt and due date.
"""

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
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from fiscus.domain.debts import (
    Accrual,
    Debt,
    DebtKind,
    DebtPayment,
    DebtStatus,
    PaymentRule,
    PaymentRuleKind,
    RateChange,
    RatePolicy,
)
from fiscus.persistence.models.base import Base, CreatedAtMixin, TenantMixin

AMOUNT = Numeric(20, 4)
PERCENT = Numeric(12, 6)


def _values(enum_type: type) -> str:
    return ",".join(f"'{member.value}'" for member in enum_type)  # type: ignore[attr-defined]


def org_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE")


def account_fk(column: str) -> ForeignKeyConstraint:
    """No cascade: an account a debt, budget or goal uses cannot be deleted (the whole
    organization's deletion still removes both in one statement)."""
    return ForeignKeyConstraint(
        ["org_id", column], ["ledger_accounts.org_id", "ledger_accounts.id"]
    )


def entry_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["org_id", "entry_id"], ["journal_entries.org_id", "journal_entries.id"], ondelete="CASCADE"
    )


class DebtRow(TenantMixin, CreatedAtMixin, Base):
    __tablename__ = "debts"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint(f"kind IN ({_values(DebtKind)})", name="kind"),
        CheckConstraint(f"status IN ({_values(DebtStatus)})", name="status"),
        CheckConstraint(f"accrual IN ({_values(Accrual)})", name="accrual"),
        CheckConstraint(f"rate_policy IN ({_values(RatePolicy)})", name="rate_policy"),
        CheckConstraint(f"rule_kind IN ({_values(PaymentRuleKind)})", name="rule_kind"),
        CheckConstraint("opening_balance > 0", name="opening_positive"),
        CheckConstraint("payment_day BETWEEN 1 AND 31", name="payment_day"),
        org_fk(),
        account_fk("liability_account_id"),
        account_fk("interest_account_id"),
        Index("ix_debts_org_id_created_at", "org_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    lender: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(CHAR(3))
    opening_balance: Mapped[Decimal] = mapped_column(AMOUNT)
    annual_rate_percent: Mapped[Decimal] = mapped_column(PERCENT)
    accrual: Mapped[str] = mapped_column(String(8))
    rule_kind: Mapped[str] = mapped_column(String(8))
    term_months: Mapped[int | None] = mapped_column(SmallInteger)
    rule_amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    rule_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    rule_floor: Mapped[Decimal | None] = mapped_column(AMOUNT)
    payment_day: Mapped[int] = mapped_column(SmallInteger)
    start_date: Mapped[date] = mapped_column(Date)
    rate_policy: Mapped[str] = mapped_column(String(16))
    liability_account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    interest_account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(8))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    def to_domain(self, changes: tuple[RateChange, ...] = ()) -> Debt:
        return Debt(
            self.id,
            self.org_id,
            self.name,
            DebtKind(self.kind),
            self.lender,
            self.currency,
            self.opening_balance,
            self.annual_rate_percent,
            Accrual(self.accrual),
            PaymentRule(
                PaymentRuleKind(self.rule_kind),
                self.term_months,
                self.rule_amount,
                self.rule_percent,
                self.rule_floor,
            ),
            self.payment_day,
            self.start_date,
            RatePolicy(self.rate_policy),
            self.liability_account_id,
            self.interest_account_id,
            DebtStatus(self.status),
            changes,
            self.created_at,
        )


def debt_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["org_id", "debt_id"], ["debts.org_id", "debts.id"], ondelete="CASCADE"
    )


class DebtRateChangeRow(TenantMixin, Base):
    __tablename__ = "debt_rate_changes"
    __table_args__ = (PrimaryKeyConstraint("org_id", "debt_id", "effective_from"), debt_fk())

    debt_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    effective_from: Mapped[date] = mapped_column(Date)
    annual_rate_percent: Mapped[Decimal] = mapped_column(PERCENT)


class DebtPaymentRow(TenantMixin, CreatedAtMixin, Base):
    """A payment as posted: the split is a fact of the posting (its journal entry)."""

    __tablename__ = "debt_payments"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "id"),
        CheckConstraint("interest >= 0 AND principal >= 0 AND extra >= 0", name="parts"),
        CheckConstraint("amount = interest + principal + extra", name="sum"),
        debt_fk(),
        entry_fk(),
        Index("ix_debt_payments_org_id_debt_id_paid_on", "org_id", "debt_id", "paid_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    debt_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    interest: Mapped[Decimal] = mapped_column(AMOUNT)
    principal: Mapped[Decimal] = mapped_column(AMOUNT)
    extra: Mapped[Decimal] = mapped_column(AMOUNT)

    def to_domain(self) -> DebtPayment:
        return DebtPayment(
            self.id,
            self.debt_id,
            self.paid_on,
            self.amount,
            self.interest,
            self.principal,
            self.extra,
            self.entry_id,
            self.created_at,
        )


class DebtDueNoticeRow(TenantMixin, Base):
    """One row per (debt, due date) whose DebtPaymentDue event went out."""

    __tablename__ = "debt_due_notices"
    __table_args__ = (PrimaryKeyConstraint("org_id", "debt_id", "due_date"), debt_fk())

    debt_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    due_date: Mapped[date] = mapped_column(Date)
    notified_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
