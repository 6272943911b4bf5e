"""Budgets: an amount per month for a category (an expense account or its subtree), with a
rollover policy and an alert threshold; status against the ledger's actuals. Pure."""

from fiscus.domain.budgets.model import (
    Budget,
    BudgetAlertKind,
    BudgetDraft,
    Rollover,
    checked_budget,
)
from fiscus.domain.budgets.status import BudgetStatus, alerts_due, budget_status

__all__ = [
    "Budget",
    "BudgetAlertKind",
    "BudgetDraft",
    "BudgetStatus",
    "Rollover",
    "alerts_due",
    "budget_status",
    "checked_budget",
]
