"""The histories one use case changes: loaded under lock, changed in memory, replayed (off
the event loop when big), cascaded through transfers, then written back with every
touched portfolio's cache in the same transaction.

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
from fiscus.domain.portfolios.engine import PortfolioRuleViolation, replay
from fiscus.domain.portfolios.model import (
    Books,
    ConsumedLot,
    CostBasisMethod,
    Transaction,
    TransactionType,
    TransferredLot,
)
from fiscus.persistence.models.portfolios import PortfolioRow
from fiscus.persistence.repositories.portfolios import (
    Holding,
    StoredTransaction,
    stored_of,
    transaction_json,
)
from fiscus.persistence.uow import UnitOfWork
from fiscus.services.portfolios.context import PortfolioContext

_CENT = Decimal("0.0001")
MAX_CASCADE = 200

Explain = Callable[[PortfolioRuleViolation, UUID, Transaction], RuleViolation]
"""(violation, portfolio id, the row breaking the rule) -> the error the caller reports."""


def holdings_of(books: Books) -> list[Holding]:
    return [
        Holding(p.instrument_id, p.quantity, p.cost_basis, p.cost_local)
        for p in sorted(books.positions, key=lambda p: str(p.instrument_id))
        if p.quantity != 0
    ]


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


@dataclass
class _Portfolio:
    row: PortfolioRow
    history: list[StoredTransaction]
    books: Books | None = None
    dirty: bool = False
    touched: bool = False


def describe(tx: Transaction) -> str:
    reference = f", reference {tx.reference}" if tx.reference else ""
    return f"the {tx.type.value} of {tx.date.isoformat()}{reference}"


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
        """Locks and loads a portfolio (once per use case)."""
        found = self.portfolios.get(portfolio_id)
        if found is not None:
            return found.row
        row = await self.uow.portfolios.portfolio(portfolio_id, for_update=True)
        if row is None:
            raise NotFound("No such portfolio.", field=field_name)
        raw = await self.uow.portfolios.transaction_rows(portfolio_id)
        history = await self.ctx.offload(len(raw), lambda: _convert(raw))
        self.portfolios[portfolio_id] = _Portfolio(row, history)
        return row

    def row(self, portfolio_id: UUID) -> PortfolioRow:
        return self.portfolios[portfolio_id].row

    def history(self, portfolio_id: UUID) -> list[StoredTransaction]:
        return self.portfolios[portfolio_id].history

    def books(self, portfolio_id: UUID) -> Books:
        books = self.portfolios[portfolio_id].books
        assert books is not None, "settle() first"
        return books

    def next_seq(self, portfolio_id: UUID) -> int:
        history = self.portfolios[portfolio_id].history
        return max((s.transaction.seq for s in history), default=0) + 1

    def find(self, transaction_id: UUID) -> tuple[UUID, StoredTransaction] | None:
        for portfolio_id, held in self.portfolios.items():
            for stored in held.history:
                if stored.transaction.id == transaction_id:
                    return portfolio_id, stored
        return None

    # Changes (in memory until ``write``).

    def add(self, portfolio_id: UUID, stored: Sequence[StoredTransaction]) -> None:
        held = self.portfolios[portfolio_id]
        held.history.extend(stored)
        for item in stored:
            self.inserted[item.transaction.id] = item
        held.dirty = held.touched = True

    def replace(self, portfolio_id: UUID, stored: StoredTransaction) -> None:
        held = self.portfolios[portfolio_id]
        tx_id = stored.transaction.id
        held.history = [stored if s.transaction.id == tx_id else s for s in held.history]
        if tx_id in self.inserted:
            self.inserted[tx_id] = stored
        else:
            self.updated[tx_id] = stored
        held.dirty = held.touched = True

    def remove(self, portfolio_id: UUID, transaction_ids: set[UUID]) -> None:
        held = self.portfolios[portfolio_id]
        held.history = [s for s in held.history if s.transaction.id not in transaction_ids]
        for tx_id in transaction_ids:
            self.updated.pop(tx_id, None)
            if self.inserted.pop(tx_id, None) is None:
                self.deleted.add(tx_id)
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
                await self._cascade(portfolio_id, explain)
        raise RuleViolation(
            ErrorCode.INVALID, "Transfers between these portfolios never settle.", None
        )

    async def _replay(self, portfolio_id: UUID, explain: Explain) -> None:
        held = self.portfolios[portfolio_id]
        transactions = [s.transaction for s in held.history]
        method = CostBasisMethod(held.row.cost_basis_method)
        try:
            margin = held.row.allow_margin
            books = await self.ctx.offload(
                len(transactions),
                lambda: replay(transactions, method=method, allow_margin=margin),
            )
        except PortfolioRuleViolation as violation:
            culprit = next(t for t in transactions if t.id == violation.transaction_id)
            raise explain(violation, portfolio_id, culprit) from None
        held.books = books
        held.dirty = False

    async def _cascade(self, portfolio_id: UUID, explain: Explain) -> None:
        held = self.portfolios[portfolio_id]
        assert held.books is not None
        outs = [
            s
            for s in held.history
            if s.transaction.type is TransactionType.TRANSFER_OUT and s.transfer_id is not None
        ]
        if not outs:
            return
        legs = await self._receiving_legs([s.transfer_id for s in outs if s.transfer_id])
        for out in outs:
            target = legs.get(out.transfer_id)  # type: ignore[arg-type]
            if target is None:
                continue
            target_id, in_leg = target
            consumed = held.books.closed_lots_for.get(out.transaction.id, ())
            lots = received_lots(consumed, out.transaction, in_leg.transaction)
            if tuple(lots) == tuple(in_leg.transaction.transferred_lots):
                continue
            quantity = sum((lot.quantity for lot in lots), Decimal(0))
            changed = replace(
                in_leg,
                transaction=replace(in_leg.transaction, transferred_lots=lots, quantity=quantity),
            )
            self.replace(target_id, changed)

    async def _receiving_legs(
        self, transfer_ids: Sequence[UUID]
    ) -> dict[UUID, tuple[UUID, StoredTransaction]]:
        """TRANSFER_IN legs of these transfers, from loaded histories, loading (and locking)
        the receiving portfolios not loaded yet."""
        wanted = set(transfer_ids)
        found: dict[UUID, tuple[UUID, StoredTransaction]] = {}
        for portfolio_id, held in self.portfolios.items():
            for s in held.history:
                if (
                    s.transfer_id is not None
                    and s.transfer_id in wanted
                    and s.transaction.type is TransactionType.TRANSFER_IN
                ):
                    found[s.transfer_id] = (portfolio_id, s)
        missing = wanted - set(found)
        if missing:
            stored = await self.uow.portfolios.transfer_legs(sorted(missing))
            for leg in stored:
                if leg.transaction.type is TransactionType.TRANSFER_IN:
                    await self.open(leg.portfolio_id)
                    current = next(
                        s
                        for s in self.portfolios[leg.portfolio_id].history
                        if s.transaction.id == leg.transaction.id
                    )
                    found[leg.transfer_id] = (leg.portfolio_id, current)  # type: ignore[index]
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
            assert held.books is not None and not held.dirty, "settle() before write()"
            await repo.rewrite_cache(
                portfolio_id,
                cash=held.books.cash,
                holdings=holdings_of(held.books),
                at=self.now,
            )
        return seqs

    def touched(self) -> list[UUID]:
        return [p for p, held in self.portfolios.items() if held.touched]


def _convert(raw: Sequence[object]) -> list[StoredTransaction]:
    return [stored_of(r) for r in raw]  # type: ignore[arg-type]


def _inserted_json(items: Sequence[StoredTransaction]) -> str:
    return json.dumps(
        [transaction_json(s.transaction, s.portfolio_id, s.transfer_id) for s in items]
    )
