"""Domain events of debts, published on the organization's activity channel after commit
(the alerts work delivers them by email and push)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True, slots=True)
class DebtPaymentDue:
    """A payment day is near; emitted once per debt and due date."""

    debt_id: UUID
    due_date: date
    amount: Decimal | None
    """The scheduled payment, when the schedule knows it."""

    action = "debt.payment_due"


@dataclass(frozen=True, slots=True)
class DebtPaidOff:
    debt_id: UUID
    paid_on: date

    action = "debt.paid_off"
