"""Derived balances: the per-account per-day summary, and Beancount-style assertions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True, slots=True)
class AccountDaySum:
    """One row of ``ledger_account_days``: the signed sum of an account's posted lines in one
    currency on one day."""

    account_id: UUID
    currency: str
    day: date
    amount: Decimal
    line_count: int


@dataclass(frozen=True, slots=True)
class BalanceAssertion:
    """ "Account X has balance B (signed, debit > 0) at the end of date D"."""

    id: UUID
    account_id: UUID
    day: date
    amount: Decimal
    currency: str
    actual: Decimal | None = None

    @property
    def holds(self) -> bool | None:
        return None if self.actual is None else self.actual == self.amount
