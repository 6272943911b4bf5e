"""What the debts, budgets, goals, income/expense and receipts use cases need: the
ledger's context (they post to and read from the ledger: one source of truth) plus the
object store for receipts. Built once per process (``Runtime.open``)."""

from __future__ import annotations

from dataclasses import dataclass

from fiscus.services.attachments.store import ObjectStore
from fiscus.services.ledger.context import LedgerContext


@dataclass(kw_only=True)
class PlanningContext(LedgerContext):
    store: ObjectStore
