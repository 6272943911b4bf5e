"""Portfolio transactions as stored rows and back: the columns read, the JSON a history
travels in (``HISTORY_ARRAY``, aggregated by the database into one text), the JSON rows
written by one INSERT. Pure functions, so big histories convert away from the event loop.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from fiscus.domain.portfolios.model import (
    LotPick,
    Transaction,
    TransactionType,
    TransferredLot,
)
from fiscus.persistence.models.portfolios import PortfolioTransactionRow

T = PortfolioTransactionRow
TRANSACTION_COLUMNS = (
    T.id,
    T.seq,
    T.type,
    T.trade_date,
    T.currency,
    T.fx_rate,
    T.instrument_id,
    T.quantity,
    T.price,
    T.fee,
    T.amount,
    T.ratio,
    T.lots,
    T.transferred_lots,
    T.reference,
    T.note,
    T.portfolio_id,
    T.transfer_id,
)


@dataclass(frozen=True, slots=True)
class Holding:
    """A cache row (or what a replay says one should be)."""

    instrument_id: UUID
    quantity: Decimal
    cost_basis: Decimal
    cost_local: Decimal


@dataclass(frozen=True, slots=True)
class StoredTransaction:
    """A transaction as stored: the domain transaction plus where it belongs."""

    transaction: Transaction
    portfolio_id: UUID
    transfer_id: UUID | None


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def picks_of(raw: Sequence[dict[str, Any]] | None) -> tuple[LotPick, ...]:
    return tuple(LotPick(str(p["lot_id"]), Decimal(str(p["quantity"]))) for p in raw or ())


def picks_json(picks: Iterable[LotPick]) -> list[dict[str, str]]:
    return [{"lot_id": p.lot_id, "quantity": str(p.quantity)} for p in picks]


def transferred_of(raw: Sequence[dict[str, Any]] | None) -> tuple[TransferredLot, ...]:
    return tuple(
        TransferredLot(
            date.fromisoformat(str(lot["acquired_on"])),
            Decimal(str(lot["quantity"])),
            Decimal(str(lot["cost_basis"])),
            Decimal(str(lot["cost_local"])),
        )
        for lot in raw or ()
    )


def transferred_json(lots: Iterable[TransferredLot]) -> list[dict[str, str]]:
    return [
        {
            "acquired_on": lot.acquired_on.isoformat(),
            "quantity": str(lot.quantity),
            "cost_basis": str(lot.cost_basis),
            "cost_local": str(lot.cost_local),
        }
        for lot in lots
    ]


def stored_of(row: Sequence[Any]) -> StoredTransaction:
    """A row of ``TRANSACTION_COLUMNS`` (or the same columns read by the read path). Pure:
    callers convert big histories in a worker thread."""
    lots = row[12]
    transferred = row[13]
    if isinstance(lots, str):
        lots = json.loads(lots)
    if isinstance(transferred, str):
        transferred = json.loads(transferred)
    transaction = Transaction(
        id=row[0],
        seq=row[1],
        type=TransactionType(row[2]),
        date=row[3],
        currency=row[4].strip(),
        fx_rate=Decimal(row[5]),
        instrument_id=row[6],
        quantity=_decimal(row[7]),
        price=_decimal(row[8]),
        fee=Decimal(row[9]),
        amount=_decimal(row[10]),
        ratio=_decimal(row[11]),
        lots=picks_of(lots),
        transferred_lots=transferred_of(transferred),
        reference=row[14],
        note=row[15],
    )
    return StoredTransaction(transaction, row[16], row[17])


HISTORY_ARRAY = """json_build_array(
      id, seq, type, trade_date, currency, fx_rate::text, instrument_id, quantity::text,
      price::text, fee::text, amount::text, ratio::text, lots, transferred_lots, reference,
      note, portfolio_id, transfer_id) ORDER BY trade_date, seq"""
"""One transaction as a JSON array in ``TRANSACTION_COLUMNS`` order (numbers as text)."""


def _uuid(value: Any) -> UUID | None:
    return None if value is None else UUID(value)


def stored_from_json(text: str) -> list[StoredTransaction]:
    """A history read as one JSON text (``HISTORY_ARRAY`` aggregated): pure, so a big one is
    decoded in a worker thread -- the event loop only receives one string."""
    found: list[StoredTransaction] = []
    for r in json.loads(text):
        found.append(
            stored_of(
                (
                    UUID(r[0]),
                    r[1],
                    r[2],
                    date.fromisoformat(r[3]),
                    r[4],
                    r[5],
                    _uuid(r[6]),
                    *r[7:12],
                    r[12],
                    r[13],
                    r[14],
                    r[15],
                    UUID(r[16]),
                    _uuid(r[17]),
                )
            )
        )
    return found


def transaction_json(
    transaction: Transaction, portfolio_id: UUID, transfer_id: UUID | None = None
) -> dict[str, Any]:
    """One row of ``insert_transactions``' JSON parameter."""
    t = transaction
    return {
        "id": str(t.id),
        "portfolio_id": str(portfolio_id),
        "type": t.type.value,
        "trade_date": t.date.isoformat(),
        "instrument_id": None if t.instrument_id is None else str(t.instrument_id),
        "currency": t.currency,
        "fx_rate": str(t.fx_rate),
        "quantity": None if t.quantity is None else str(t.quantity),
        "price": None if t.price is None else str(t.price),
        "fee": str(t.fee),
        "amount": None if t.amount is None else str(t.amount),
        "ratio": None if t.ratio is None else str(t.ratio),
        "lots": picks_json(t.lots) if t.lots else None,
        "transferred_lots": transferred_json(t.transferred_lots) if t.transferred_lots else None,
        "transfer_id": None if transfer_id is None else str(transfer_id),
        "reference": t.reference,
        "note": t.note,
    }


# Rows keep the order of the JSON array, so ``seq`` (an identity) follows it.
