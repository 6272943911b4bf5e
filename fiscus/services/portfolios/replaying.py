"""Replaying one portfolio's history with a use case's changes: a pure function on picklable
values, so a big history runs in another process (``PortfolioContext.replay``) and the
server's event loop never shares the interpreter lock with it.

The history travels as the JSON text the database aggregated (``history_text``: one string,
cheap to send), the changes as a few domain values; what comes back is small: cash, the
holdings, the lots each TRANSFER_OUT took, or the rule a row broke.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from fiscus.domain.portfolios.engine import PortfolioRuleViolation, replay
from fiscus.domain.portfolios.model import (
    Books,
    ConsumedLot,
    CostBasisMethod,
    Transaction,
    TransactionType,
)
from fiscus.persistence.repositories.portfolio_rows import Holding, stored_from_json


@dataclass(frozen=True, slots=True)
class ReplayJob:
    history: str
    """The stored history, ``history_text``'s JSON."""
    method: CostBasisMethod
    allow_margin: bool
    added: Sequence[Transaction] = ()
    replaced: Mapping[UUID, Transaction] = field(default_factory=dict)
    removed: frozenset[UUID] = frozenset()
    size: int = 0
    """Rows in ``history`` (decides where the job runs)."""


@dataclass(frozen=True, slots=True)
class Broken:
    code: str
    message: str
    field: str
    transaction: Transaction
    """The row breaking the rule."""


@dataclass(frozen=True, slots=True)
class ReplayOutcome:
    cash: Decimal = Decimal(0)
    holdings: Sequence[Holding] = ()
    closed_lots_for: Mapping[UUID, Sequence[ConsumedLot]] = field(default_factory=dict)
    """Lots each TRANSFER_OUT took (what its TRANSFER_IN must carry)."""
    broken: Broken | None = None


def holdings_of(books: Books) -> list[Holding]:
    return [
        Holding(p.instrument_id, p.quantity, p.cost_basis, p.cost_local)
        for p in sorted(books.positions, key=lambda p: str(p.instrument_id))
        if p.quantity != 0
    ]


def history_of(job: ReplayJob) -> list[Transaction]:
    stored = [s.transaction for s in stored_from_json(job.history)]
    changed = [job.replaced.get(t.id, t) for t in stored if t.id not in job.removed]
    return changed + [t for t in job.added if t.id not in job.removed]


def run_replay(job: ReplayJob) -> ReplayOutcome:
    transactions = history_of(job)
    try:
        books = replay(transactions, method=job.method, allow_margin=job.allow_margin)
    except PortfolioRuleViolation as violation:
        culprit = next(t for t in transactions if t.id == violation.transaction_id)
        return ReplayOutcome(
            broken=Broken(str(violation.code), violation.message, violation.field, culprit)
        )
    outs = {t.id for t in transactions if t.type is TransactionType.TRANSFER_OUT}
    return ReplayOutcome(
        books.cash,
        holdings_of(books),
        {k: tuple(v) for k, v in books.closed_lots_for.items() if k in outs},
    )
