"""The stateless row checks: required and forbidden fields per type, named in camelCase."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from fiscus.domain.errors import ErrorCode
from fiscus.domain.portfolios.model import LotPick, Transaction, TransferredLot
from fiscus.domain.portfolios.shape import validate_shape
from tests.domain.portfolio_rows import D, T

AAA = uuid.UUID(int=1)


def row(type: T, **fields: object) -> Transaction:
    fields.setdefault("currency", "USD")
    return Transaction(id=uuid.uuid4(), seq=1, type=type, date=date(2024, 1, 2), **fields)  # type: ignore[arg-type]


def issues(tx: Transaction, **context: str) -> list[tuple[str | None, str]]:
    return [(issue.field, issue.code) for issue in validate_shape(tx, **context)]


def test_well_formed_rows_of_every_type_pass() -> None:
    lots = (TransferredLot(date(2023, 1, 1), D(1), D(10), D(10)),)
    for tx in [
        row(T.DEPOSIT, amount=D(1)),
        row(T.WITHDRAWAL, amount=D(1), fee=D("0.5")),
        row(T.BUY, instrument_id=AAA, quantity=D(1), price=D(1), fee=D(1)),
        row(
            T.SELL,
            instrument_id=AAA,
            quantity=D(2),
            price=D(1),
            lots=(LotPick("x", D(1)), LotPick("y", D(1))),
        ),
        row(T.DIVIDEND, instrument_id=AAA, amount=D(1)),
        row(T.DIVIDEND, instrument_id=AAA, quantity=D(1), price=D(1)),
        row(T.INTEREST, amount=D(1)),
        row(T.FEE, amount=D(1), instrument_id=AAA),
        row(T.SPLIT, instrument_id=AAA, ratio=D("0.25")),
        row(T.TRANSFER_IN, instrument_id=AAA, transferred_lots=lots, quantity=D(1)),
        row(T.TRANSFER_OUT, instrument_id=AAA, quantity=D(1)),
        row(T.TRANSFER_OUT, instrument_id=AAA, lots=(LotPick("x", D(1)),)),
    ]:
        assert validate_shape(tx) == [], tx.type


def test_required_fields_per_type() -> None:
    assert issues(row(T.DEPOSIT)) == [("amount", ErrorCode.REQUIRED)]
    assert issues(row(T.BUY)) == [
        ("instrumentId", ErrorCode.REQUIRED),
        ("quantity", ErrorCode.REQUIRED),
        ("price", ErrorCode.REQUIRED),
    ]
    assert issues(row(T.SPLIT, instrument_id=AAA)) == [("ratio", ErrorCode.REQUIRED)]
    assert issues(row(T.TRANSFER_IN, instrument_id=AAA)) == [
        ("transferredLots", ErrorCode.REQUIRED)
    ]
    assert issues(row(T.TRANSFER_OUT, instrument_id=AAA)) == [("quantity", ErrorCode.REQUIRED)]
    assert issues(row(T.DIVIDEND, instrument_id=AAA, quantity=D(1))) == [
        ("price", ErrorCode.REQUIRED)
    ]


def test_values_must_be_positive_and_fees_not_negative() -> None:
    assert issues(row(T.BUY, instrument_id=AAA, quantity=D(0), price=D(-1), fee=D(-1))) == [
        ("fee", ErrorCode.INVALID),
        ("quantity", ErrorCode.INVALID),
        ("price", ErrorCode.INVALID),
    ]
    assert issues(row(T.SPLIT, instrument_id=AAA, ratio=D(-2))) == [("ratio", ErrorCode.INVALID)]
    assert issues(row(T.DEPOSIT, amount=D("NaN"))) == [("amount", ErrorCode.INVALID)]
    assert issues(row(T.DEPOSIT, amount=D(1), fx_rate=D(0))) == [("fxRate", ErrorCode.INVALID)]


def test_fields_a_type_does_not_use_are_refused() -> None:
    assert issues(row(T.DEPOSIT, amount=D(1), instrument_id=AAA, quantity=D(1))) == [
        ("instrumentId", ErrorCode.INVALID),
        ("quantity", ErrorCode.INVALID),
    ]
    assert issues(
        row(T.BUY, instrument_id=AAA, quantity=D(1), price=D(1), lots=(LotPick("x", D(1)),))
    ) == [("lots", ErrorCode.INVALID)]
    lots = (TransferredLot(date(2023, 1, 1), D(1), D(10), D(10)),)
    assert issues(row(T.TRANSFER_OUT, instrument_id=AAA, quantity=D(1), transferred_lots=lots)) == [
        ("transferredLots", ErrorCode.INVALID)
    ]
    assert issues(row(T.DIVIDEND, instrument_id=AAA, quantity=D(1), price=D(1), amount=D(1))) == [
        ("amount", ErrorCode.INVALID)
    ]
    assert issues(row(T.FEE, amount=D(1), fee=D(1))) == [("fee", ErrorCode.INVALID)]


def test_lot_picks_are_checked_one_by_one_and_against_the_quantity() -> None:
    picks = (LotPick("x", D(1)), LotPick("", D(0)))
    assert issues(row(T.SELL, instrument_id=AAA, quantity=D(3), price=D(1), lots=picks)) == [
        ("lots[1].lotId", ErrorCode.REQUIRED),
        ("lots[1].quantity", ErrorCode.INVALID),
        ("quantity", ErrorCode.INVALID),
    ]


def test_transferred_lots_cannot_be_acquired_after_the_transfer() -> None:
    lots = (TransferredLot(date(2024, 1, 3), D(1), D(-1), D(1)),)
    assert issues(row(T.TRANSFER_IN, instrument_id=AAA, transferred_lots=lots)) == [
        ("transferredLots[0].costBasis", ErrorCode.INVALID),
        ("transferredLots[0].acquiredOn", ErrorCode.INVALID),
    ]


def test_currencies_against_the_base_and_the_instrument() -> None:
    tx = row(T.BUY, instrument_id=AAA, quantity=D(1), price=D(1), fx_rate=Decimal("1.1"))
    assert issues(tx, base_currency="USD") == [("fxRate", ErrorCode.CURRENCY_MISMATCH)]
    assert issues(tx, instrument_currency="EUR") == [("currency", ErrorCode.CURRENCY_MISMATCH)]
    assert issues(row(T.DEPOSIT, amount=D(1), currency="usd")) == [("currency", ErrorCode.INVALID)]
