"""Writing portfolio transactions in tests: one method per type, ``seq`` in call order."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.portfolios.model import LotPick, Transaction, TransactionType, TransferredLot

D = Decimal
T = TransactionType


def day(text: str) -> date:
    return date.fromisoformat(text)


class Rows:
    def __init__(self, currency: str = "USD") -> None:
        self.currency = currency
        self.rows: list[Transaction] = []
        self._seq = itertools.count(1)

    def add(self, type: TransactionType, on: str, **fields: object) -> Transaction:
        fields.setdefault("currency", self.currency)
        tx = Transaction(
            id=uuid.uuid4(),
            seq=next(self._seq),
            type=type,
            date=day(on),
            **fields,  # type: ignore[arg-type]
        )
        self.rows.append(tx)
        return tx

    def deposit(self, on: str, amount: str, **fields: object) -> Transaction:
        return self.add(T.DEPOSIT, on, amount=D(amount), **fields)

    def withdraw(self, on: str, amount: str, **fields: object) -> Transaction:
        return self.add(T.WITHDRAWAL, on, amount=D(amount), **fields)

    def buy(
        self, on: str, instrument: UUID, quantity: str, price: str, fee: str = "0", **fields: object
    ) -> Transaction:
        return self.add(
            T.BUY,
            on,
            instrument_id=instrument,
            quantity=D(quantity),
            price=D(price),
            fee=D(fee),
            **fields,
        )

    def sell(
        self,
        on: str,
        instrument: UUID,
        quantity: str,
        price: str,
        fee: str = "0",
        lots: Sequence[tuple[str, str]] = (),
        **fields: object,
    ) -> Transaction:
        picks = tuple(LotPick(lot_id, D(q)) for lot_id, q in lots)
        return self.add(
            T.SELL,
            on,
            instrument_id=instrument,
            quantity=D(quantity),
            price=D(price),
            fee=D(fee),
            lots=picks,
            **fields,
        )

    def dividend(
        self, on: str, instrument: UUID, amount: str, fee: str = "0", **fields: object
    ) -> Transaction:
        return self.add(
            T.DIVIDEND, on, instrument_id=instrument, amount=D(amount), fee=D(fee), **fields
        )

    def reinvest(
        self, on: str, instrument: UUID, quantity: str, price: str, **fields: object
    ) -> Transaction:
        return self.add(
            T.DIVIDEND, on, instrument_id=instrument, quantity=D(quantity), price=D(price), **fields
        )

    def interest(self, on: str, amount: str, **fields: object) -> Transaction:
        return self.add(T.INTEREST, on, amount=D(amount), **fields)

    def fee(self, on: str, amount: str, **fields: object) -> Transaction:
        return self.add(T.FEE, on, amount=D(amount), **fields)

    def split(self, on: str, instrument: UUID, ratio: str) -> Transaction:
        return self.add(T.SPLIT, on, instrument_id=instrument, ratio=D(ratio))

    def transfer_in(
        self, on: str, instrument: UUID, lots: Sequence[TransferredLot], **fields: object
    ) -> Transaction:
        return self.add(
            T.TRANSFER_IN, on, instrument_id=instrument, transferred_lots=tuple(lots), **fields
        )

    def transfer_out(
        self, on: str, instrument: UUID, quantity: str, **fields: object
    ) -> Transaction:
        return self.add(
            T.TRANSFER_OUT, on, instrument_id=instrument, quantity=D(quantity), **fields
        )
