"""Portfolio writes (units of work): portfolios, their transactions, the holdings cache and
saved CSV mappings. Reached lazily as ``uow.portfolios``.

A writer locks the portfolio row (``portfolio(..., for_update=True)``) before reading its
transactions, so writers of one portfolio queue and each replays the history the previous
one committed. Bulk inserts travel as one JSON parameter (one statement however many rows);
the cache is rewritten with two statements (holdings replaced, cash set).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import delete, func, select, text, update

from fiscus.domain.portfolios.model import (
    Transaction,
    TransferredLot,
)
from fiscus.persistence.models.portfolios import (
    PortfolioCsvMappingRow,
    PortfolioHoldingRow,
    PortfolioRow,
    PortfolioTransactionRow,
)
from fiscus.persistence.repositories.base import AreaRepository
from fiscus.persistence.repositories.portfolio_rows import (
    HISTORY_ARRAY,
    TRANSACTION_COLUMNS,
    Holding,
    StoredTransaction,
    picks_json,
    stored_of,
    transferred_json,
)

T = PortfolioTransactionRow

_INSERT_TRANSACTIONS = text("""
    INSERT INTO portfolio_transactions (
      org_id, id, portfolio_id, type, trade_date, instrument_id, currency, fx_rate, quantity,
      price, fee, amount, ratio, lots, transferred_lots, transfer_id, reference, note,
      created_by, created_at, updated_at)
    SELECT :org_id, r.id, r.portfolio_id, r.type, r.trade_date, r.instrument_id, r.currency,
           r.fx_rate, r.quantity, r.price, coalesce(r.fee, 0), r.amount, r.ratio, r.lots,
           r.transferred_lots, r.transfer_id, r.reference, r.note, :user_id, :at, :at
    FROM jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY AS e(value, n)
    CROSS JOIN LATERAL jsonb_to_record(e.value) AS r(
      id uuid, portfolio_id uuid, type text, trade_date date, instrument_id uuid,
      currency text, fx_rate numeric, quantity numeric, price numeric, fee numeric,
      amount numeric, ratio numeric, lots jsonb, transferred_lots jsonb, transfer_id uuid,
      reference text, note text)
    ORDER BY e.n
    RETURNING id, seq""")
# One statement: rows of instruments no longer held go, the others are upserted (a CTE's
# DELETE and the INSERT see one snapshot, so a plain delete-then-insert would collide).
_REPLACE_HOLDINGS = text("""
    WITH fresh AS (
      SELECT r.instrument_id, r.quantity, r.cost_basis, r.cost_local
      FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
        instrument_id uuid, quantity numeric, cost_basis numeric, cost_local numeric)),
    gone AS (
      DELETE FROM portfolio_holdings h
      WHERE h.org_id = :org_id AND h.portfolio_id = :portfolio_id
        AND h.instrument_id NOT IN (SELECT instrument_id FROM fresh))
    INSERT INTO portfolio_holdings AS h (org_id, portfolio_id, instrument_id, quantity,
                                         cost_basis, cost_local)
    SELECT :org_id, :portfolio_id, instrument_id, quantity, cost_basis, cost_local FROM fresh
    ORDER BY instrument_id
    ON CONFLICT (org_id, portfolio_id, instrument_id) DO UPDATE SET
      quantity = EXCLUDED.quantity, cost_basis = EXCLUDED.cost_basis,
      cost_local = EXCLUDED.cost_local""")
_CLEAR_HOLDINGS = text(
    "DELETE FROM portfolio_holdings WHERE org_id = :org_id AND portfolio_id = :portfolio_id"
)
_EXISTING_REFERENCES = text("""
    SELECT reference FROM portfolio_transactions
    WHERE org_id = :org_id AND portfolio_id = :portfolio_id
      AND reference = ANY(CAST(:references AS text[]))""")
_HISTORY = text(f"""
    SELECT count(*), coalesce(max(seq), 0), coalesce(json_agg({HISTORY_ARRAY}), '[]')::text
    FROM portfolio_transactions WHERE org_id = :org_id AND portfolio_id = :id""")  # noqa: S608 -- a constant fragment, no input
_LOCK_PORTFOLIOS = text("""
    SELECT id FROM portfolios WHERE org_id = :org_id AND id = ANY(CAST(:ids AS uuid[]))
    ORDER BY id FOR UPDATE""")


class PortfolioRepository(AreaRepository):
    # Portfolios.

    async def portfolio(
        self, portfolio_id: UUID, *, for_update: bool = False
    ) -> PortfolioRow | None:
        statement = select(PortfolioRow).where(
            PortfolioRow.org_id == self.org_id, PortfolioRow.id == portfolio_id
        )
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def lock(self, portfolio_ids: Sequence[UUID]) -> set[UUID]:
        """Locks these portfolios (in id order, so writers never deadlock on them); answers
        the ids that exist in this organization."""
        rows = await self.session.execute(
            _LOCK_PORTFOLIOS, {"org_id": self.org_id, "ids": sorted(set(portfolio_ids))}
        )
        return {r[0] for r in rows}

    async def portfolios(self) -> list[PortfolioRow]:
        result = await self.session.execute(
            select(PortfolioRow)
            .where(PortfolioRow.org_id == self.org_id)
            .order_by(PortfolioRow.created_at, PortfolioRow.id)
        )
        return list(result.scalars().all())

    async def name_taken(self, name: str, *, other_than: UUID | None = None) -> bool:
        statement = select(PortfolioRow.id).where(
            PortfolioRow.org_id == self.org_id,
            func.lower(PortfolioRow.name) == name.lower(),
        )
        found = (await self.session.execute(statement)).scalars().all()
        return any(i != other_than for i in found)

    async def add_portfolio(self, row: PortfolioRow) -> PortfolioRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def delete_portfolio(self, portfolio_id: UUID) -> None:
        await self.session.execute(
            delete(PortfolioRow).where(
                PortfolioRow.org_id == self.org_id, PortfolioRow.id == portfolio_id
            )
        )

    # Transactions.

    async def history_text(self, portfolio_id: UUID) -> tuple[int, int, str]:
        """(count, highest ``seq``, the portfolio's whole history in replay order as one JSON
        text): ``stored_from_json`` decodes it, away from the event loop when big."""
        row = (
            await self.session.execute(_HISTORY, {"org_id": self.org_id, "id": portfolio_id})
        ).one()
        return int(row[0]), int(row[1]), str(row[2])

    async def transaction(self, transaction_id: UUID) -> StoredTransaction | None:
        result = await self.session.execute(
            select(*TRANSACTION_COLUMNS).where(T.org_id == self.org_id, T.id == transaction_id)
        )
        row = result.first()
        return None if row is None else stored_of(row)

    async def transfer_legs(self, transfer_ids: Sequence[UUID]) -> list[StoredTransaction]:
        if not transfer_ids:
            return []
        result = await self.session.execute(
            select(*TRANSACTION_COLUMNS)
            .where(T.org_id == self.org_id, T.transfer_id.in_(list(set(transfer_ids))))
            .order_by(T.seq)
        )
        return [stored_of(r) for r in result.all()]

    async def transfer_outs(self, portfolio_id: UUID) -> list[StoredTransaction]:
        """The portfolio's TRANSFER_OUT legs of transfers with another portfolio."""
        result = await self.session.execute(
            select(*TRANSACTION_COLUMNS).where(
                T.org_id == self.org_id,
                T.portfolio_id == portfolio_id,
                T.type == "TRANSFER_OUT",
                T.transfer_id.is_not(None),
            )
        )
        return [stored_of(r) for r in result.all()]

    async def transfer_leg_count(self, portfolio_id: UUID) -> int:
        found = await self.session.scalar(
            select(func.count()).where(
                T.org_id == self.org_id,
                T.portfolio_id == portfolio_id,
                T.transfer_id.is_not(None),
            )
        )
        return int(found or 0)

    async def existing_references(self, portfolio_id: UUID, references: Sequence[str]) -> set[str]:
        if not references:
            return set()
        rows = await self.session.execute(
            _EXISTING_REFERENCES,
            {"org_id": self.org_id, "portfolio_id": portfolio_id, "references": list(references)},
        )
        return {r[0] for r in rows}

    async def insert_transactions(
        self, rows_json: str, *, user_id: UUID | None, at: datetime
    ) -> dict[UUID, int]:
        """Rows built by ``transaction_json``, serialized as one JSON array; answers each
        new transaction's ``seq``."""
        result = await self.session.execute(
            _INSERT_TRANSACTIONS,
            {"org_id": self.org_id, "user_id": user_id, "at": at, "rows": rows_json},
        )
        return {r[0]: r[1] for r in result}

    async def update_transaction(
        self, transaction: Transaction, *, transfer_id: UUID | None, at: datetime
    ) -> None:
        t = transaction
        await self.session.execute(
            update(T)
            .where(T.org_id == self.org_id, T.id == t.id)
            .values(
                type=t.type.value,
                trade_date=t.date,
                instrument_id=t.instrument_id,
                currency=t.currency,
                fx_rate=t.fx_rate,
                quantity=t.quantity,
                price=t.price,
                fee=t.fee,
                amount=t.amount,
                ratio=t.ratio,
                lots=picks_json(t.lots) if t.lots else None,
                transferred_lots=transferred_json(t.transferred_lots)
                if t.transferred_lots
                else None,
                transfer_id=transfer_id,
                reference=t.reference,
                note=t.note,
                updated_at=at,
            )
        )

    async def set_transferred_lots(
        self, transaction_id: UUID, lots: Sequence[TransferredLot], at: datetime
    ) -> None:
        await self.session.execute(
            update(T)
            .where(T.org_id == self.org_id, T.id == transaction_id)
            .values(transferred_lots=transferred_json(lots), updated_at=at)
        )

    async def delete_transactions(self, transaction_ids: Sequence[UUID]) -> None:
        await self.session.execute(
            delete(T).where(T.org_id == self.org_id, T.id.in_(list(transaction_ids)))
        )

    # The cache.

    async def rewrite_cache(
        self, portfolio_id: UUID, *, cash: Decimal, holdings: Sequence[Holding], at: datetime
    ) -> None:
        """Replaces the portfolio's cached holdings and cash with a replay's."""
        values = {"org_id": self.org_id, "portfolio_id": portfolio_id}
        if holdings:
            rows = json.dumps(
                [
                    {
                        "instrument_id": str(h.instrument_id),
                        "quantity": str(h.quantity),
                        "cost_basis": str(h.cost_basis),
                        "cost_local": str(h.cost_local),
                    }
                    for h in holdings
                ]
            )
            await self.session.execute(_REPLACE_HOLDINGS, {**values, "rows": rows})
        else:
            await self.session.execute(_CLEAR_HOLDINGS, values)
        await self.session.execute(
            update(PortfolioRow)
            .where(PortfolioRow.org_id == self.org_id, PortfolioRow.id == portfolio_id)
            .values(cash=cash, updated_at=at)
        )

    async def cached_holdings(self, portfolio_id: UUID) -> list[Holding]:
        result = await self.session.execute(
            select(
                PortfolioHoldingRow.instrument_id,
                PortfolioHoldingRow.quantity,
                PortfolioHoldingRow.cost_basis,
                PortfolioHoldingRow.cost_local,
            )
            .where(
                PortfolioHoldingRow.org_id == self.org_id,
                PortfolioHoldingRow.portfolio_id == portfolio_id,
            )
            .order_by(PortfolioHoldingRow.instrument_id)
        )
        return [Holding(r[0], r[1], r[2], r[3]) for r in result.all()]

    # CSV mappings.

    async def csv_mapping(self, mapping_id: UUID) -> PortfolioCsvMappingRow | None:
        result = await self.session.execute(
            select(PortfolioCsvMappingRow).where(
                PortfolioCsvMappingRow.org_id == self.org_id,
                PortfolioCsvMappingRow.id == mapping_id,
            )
        )
        return result.scalar_one_or_none()

    async def csv_mapping_by_name(self, name: str) -> PortfolioCsvMappingRow | None:
        result = await self.session.execute(
            select(PortfolioCsvMappingRow).where(
                PortfolioCsvMappingRow.org_id == self.org_id,
                PortfolioCsvMappingRow.name == name,
            )
        )
        return result.scalar_one_or_none()

    async def save_csv_mapping(self, row: PortfolioCsvMappingRow) -> PortfolioCsvMappingRow:
        self.session.add(row)
        await self.session.flush()
        return row
