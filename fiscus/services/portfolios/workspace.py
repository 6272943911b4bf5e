"""The histories one use case changes: locked, changed (added, replaced and removed rows
kept apart from the stored history), replayed (``replaying``: in another process for a
big history), cascaded through transfers, then written back with every touched
portfolio's cache in the same transaction.

Cascade: a TRANSFER_IN carries the lots its paired TRANSFER_OUT took from the source's
replay (``Books.closed_lots_for``). When a source history changes, each of its transfers'
lots are taken again from the new replay; where they differ from what the receiving side
holds, that TRANSFER_IN is rewritten and the receiving portfolio replayed (and cascaded in
turn), all in this transaction. A rule broken anywhere refuses the whole change.

Costs crossing base currencies: the receiving cost basis is the source's, converted at the
transfer day's rate ``in.fx_rate / out.fx_rate`` (both legs are priced in the instrument's
currency), rounded half-even to 4 places; equal bases carry the cost unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from fiscus.domain.errors import ErrorCode, NotFound, RuleViolation
from fiscus.domain.portfolios.model import (
    ConsumedLot,
    CostBasisMethod,
    Transaction,
    TransactionType,
    TransferredLot,
)
from fiscus.persistence.models.portfolios import PortfolioRow
from fiscus.persistence.repositories.portfolio_rows import StoredTransaction, transaction_json
from fiscus.persistence.uow import UnitOfWork
from fiscus.services.portfolios.context import PortfolioContext
from fiscus.services.portfolios.replaying import Broken, ReplayJob, ReplayOutcome

_CENT = Decimal("0.0001")
MAX_CASCADE = 200

Explain = Callable[[Broken, UUID], RuleViolation]
"""(the broken rule and its row, portfolio id) -> the error the caller reports."""


def received_lots(
    consumed: Sequence[ConsumedLot], out_tx: Transaction, in_tx: Transaction
) -> tuple[TransferredLot, ...]:
    same = out_tx.fx_rate == in_tx.fx_rate
    return tuple(
        TransferredLot(
            lot.acquired_on,
            lot.quantity,
            lot.cost_basis
            if same
            else (lot.cost_basis * in_tx.fx_rate / out_tx.fx_rate).quantize(
                _CENT, rounding=ROUND_HALF_EVEN
            ),
            lot.cost_local,
        )
        for lot in consumed
    )


def describe(tx: Transaction) -> str:
    reference = f", reference {tx.reference}" if tx.reference else ""
    return f"the {tx.type.value} of {tx.date.isoformat()}{reference}"


@dataclass
class _Portfolio:
    row: PortfolioRow
    count: int
    max_seq: int
    history: str
    added: list[StoredTransaction] = field(default_factory=list)
    replaced: dict[UUID, StoredTransaction] = field(default_factory=dict)
    removed: set[UUID] = field(default_factory=set)
    outcome: ReplayOutcome | None = None
    dirty: bool = False
    touched: bool = False


@dataclass
class Workspace:
    ctx: PortfolioContext
    uow: UnitOfWork
    now: datetime
    user_id: UUID | None
    portfolios: dict[UUID, _Portfolio] = field(default_factory=dict)
    inserted: dict[UUID, StoredTransaction] = field(default_factory=dict)
    updated: dict[UUID, StoredTransaction] = field(default_factory=dict)
    deleted: set[UUID] = field(default_factory=set)

    async def open(self, portfolio_id: UUID, *, field_name: str = "portfolioId") -> PortfolioRow:
        """Locks and reads a portfolio (once per use case); its history stays the text the
        database sent until a replay decodes it."""
        found = self.portfolios.get(portfolio_id)
        if found is not None:
            return found.row
        row = await self.uow.portfolios.portfolio(portfolio_id, for_update=True)
        if row is None:
            raise NotFound("No such portfolio.", field=field_name)
        count, max_seq, text = await self.uow.portfolios.history_text(portfolio_id)
        self.portfolios[portfolio_id] = _Portfolio(row, count, max_seq, text)
        return row

    def row(self, portfolio_id: UUID) -> PortfolioRow:
        return self.portfolios[portfolio_id].row

    def count(self, portfolio_id: UUID) -> int:
        return self.portfolios[portfolio_id].count

    def outcome(self, portfolio_id: UUID) -> ReplayOutcome:
        outcome = self.portfolios[portfolio_id].outcome
        assert outcome is not None, "settle() first"
        return outcome

    def next_seq(self, portfolio_id: UUID) -> int:
        held = self.portfolios[portfolio_id]
        return max([held.max_seq, *(s.transaction.seq for s in held.added)]) + 1

    # Changes (in memory until ``write``).

    def add(self, portfolio_id: UUID, stored: Sequence[StoredTransaction]) -> None:
        held = self.portfolios[portfolio_id]
        held.added.extend(stored)
        for item in stored:
            self.inserted[item.transaction.id] = item
        held.dirty = held.touched = True

    def replace(self, portfolio_id: UUID, stored: StoredTransaction) -> None:
        held = self.portfolios[portfolio_id]
        tx_id = stored.transaction.id
        if tx_id in self.inserted:
            self.inserted[tx_id] = stored
            held.added = [stored if s.transaction.id == tx_id else s for s in held.added]
        else:
            self.updated[tx_id] = stored
            held.replaced[tx_id] = stored
        held.dirty = held.touched = True

    def remove(self, portfolio_id: UUID, transaction_ids: set[UUID]) -> None:
        held = self.portfolios[portfolio_id]
        held.removed |= transaction_ids
        for tx_id in transaction_ids:
            self.updated.pop(tx_id, None)
            held.replaced.pop(tx_id, None)
            if self.inserted.pop(tx_id, None) is None:
                self.deleted.add(tx_id)
        held.added = [s for s in held.added if s.transaction.id not in transaction_ids]
        held.dirty = held.touched = True

    def reconfigure(self, portfolio_id: UUID) -> None:
        """The portfolio's settings changed (method, margin): replay and rewrite it."""
        held = self.portfolios[portfolio_id]
        held.dirty = held.touched = True

    # Replays.

    async def settle(self, explain: Explain) -> None:
        """Replays every changed portfolio and follows transfers until nothing changes."""
        for _ in range(MAX_CASCADE):
            pending = [p for p, held in self.portfolios.items() if held.dirty]
            if not pending:
                return
            for portfolio_id in pending:
                await self._replay(portfolio_id, explain)
                await self._cascade(portfolio_id)
        raise RuleViolation(
            ErrorCode.INVALID, "Transfers between these portfolios never settle.", None
        )

    async def _replay(self, portfolio_id: UUID, explain: Explain) -> None:
        held = self.portfolios[portfolio_id]
        job = ReplayJob(
            history=held.history,
            method=CostBasisMethod(held.row.cost_basis_method),
            allow_margin=held.row.allow_margin,
            added=[s.transaction for s in held.added],
            replaced={k: s.transaction for k, s in held.replaced.items()},
            removed=frozenset(held.removed),
            size=held.count + len(held.added),
        )
        outcome = await self.ctx.replay(job)
        if outcome.broken is not None:
            raise explain(outcome.broken, portfolio_id)
        held.outcome = outcome
        held.dirty = False

    async def _outs(self, portfolio_id: UUID) -> list[StoredTransaction]:
        """The portfolio's TRANSFER_OUT legs as changed here."""
        held = self.portfolios[portfolio_id]
        stored = await self.uow.portfolios.transfer_outs(portfolio_id)
        found = [
            held.replaced.get(s.transaction.id, s)
            for s in stored
            if s.transaction.id not in held.removed
        ]
        found += [
            s
            for s in held.added
            if s.transaction.type is TransactionType.TRANSFER_OUT and s.transfer_id is not None
        ]
        return found

    async def _cascade(self, portfolio_id: UUID) -> None:
        held = self.portfolios[portfolio_id]
        assert held.outcome is not None
        outs = await self._outs(portfolio_id)
        if not outs:
            return
        legs = await self._receiving_legs([s.transfer_id for s in outs if s.transfer_id])
        for out in outs:
            target = legs.get(out.transfer_id) if out.transfer_id else None
            if target is None:
                continue
            target_id, in_leg = target
            consumed = held.outcome.closed_lots_for.get(out.transaction.id, ())
            lots = received_lots(consumed, out.transaction, in_leg.transaction)
            if tuple(lots) == tuple(in_leg.transaction.transferred_lots):
                continue
            quantity = sum((lot.quantity for lot in lots), Decimal(0))
            moved = replace(in_leg.transaction, transferred_lots=lots, quantity=quantity)
            self.replace(target_id, replace(in_leg, transaction=moved))

    async def _receiving_legs(
        self, transfer_ids: Sequence[UUID]
    ) -> dict[UUID, tuple[UUID, StoredTransaction]]:
        """TRANSFER_IN legs of these transfers as changed here (opening, and locking, the
        receiving portfolios not open yet)."""
        wanted = set(transfer_ids)
        found: dict[UUID, tuple[UUID, StoredTransaction]] = {}
        for item in [*self.inserted.values(), *self.updated.values()]:
            if (
                item.transfer_id in wanted
                and item.transfer_id is not None
                and item.transaction.type is TransactionType.TRANSFER_IN
            ):
                found[item.transfer_id] = (item.portfolio_id, item)
        missing = wanted - set(found)
        if missing:
            for leg in await self.uow.portfolios.transfer_legs(sorted(missing)):
                if leg.transaction.type is not TransactionType.TRANSFER_IN:
                    continue
                await self.open(leg.portfolio_id)
                if leg.transaction.id in self.portfolios[leg.portfolio_id].removed:
                    continue
                assert leg.transfer_id is not None
                found[leg.transfer_id] = (leg.portfolio_id, leg)
        return found

    # Writing.

    async def write(self) -> dict[UUID, int]:
        """Deletes, updates and inserts (one statement for all inserts), then every touched
        portfolio's cache; answers the new rows' ``seq``."""
        repo = self.uow.portfolios
        if self.deleted:
            await repo.delete_transactions(sorted(self.deleted))
        for stored in self.updated.values():
            await repo.update_transaction(
                stored.transaction, transfer_id=stored.transfer_id, at=self.now
            )
        seqs: dict[UUID, int] = {}
        if self.inserted:
            items = list(self.inserted.values())
            rows = await self.ctx.offload(len(items), lambda: _inserted_json(items))
            seqs = await repo.insert_transactions(rows, user_id=self.user_id, at=self.now)
        for portfolio_id, held in self.portfolios.items():
            if not held.touched:
                continue
            assert held.outcome is not None and not held.dirty, "settle() before write()"
            await repo.rewrite_cache(
                portfolio_id,
                cash=held.outcome.cash,
                holdings=held.outcome.holdings,
                at=self.now,
            )
        return seqs

    def touched(self) -> list[UUID]:
        return [p for p, held in self.portfolios.items() if held.touched]


def _inserted_json(items: Sequence[StoredTransaction]) -> str:
    return json.dumps(
        [transaction_json(s.transaction, s.portfolio_id, s.transfer_id) for s in items]
    )
