"""Input rows of the portfolio mutations (and of CSV imports) turned into domain
transactions: parse and bound every field, resolve the symbol to an instrument, take the
currency from the instrument, fill ``fx_rate`` from market data, check the row's shape.

Every problem is a ``FieldIssue`` named for the caller's input through ``FieldName``
(``transactions[3].quantity``, ``csv[12].date``, ``quantity``). The steps that need no
database are pure, so callers with thousands of rows run them in a worker thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import ErrorCode, FieldIssue, ValidationFailed
from fiscus.domain.marketdata import FxRateNotFound, Instrument, normalize_currency
from fiscus.domain.marketdata import normalize_symbol as _normalize_symbol
from fiscus.domain.portfolios.model import (
    AMOUNT_SCALE,
    PRICE_SCALE,
    QUANTITY_SCALE,
    LotPick,
    Transaction,
    TransactionType,
)
from fiscus.domain.portfolios.portfolio import MAX_NOTE, MAX_REFERENCE
from fiscus.domain.portfolios.shape import validate_shape
from fiscus.services.portfolios.pricing import FxTable

FieldName = Callable[[int, str], str]
"""(row index, field inside the row) -> the field an error names."""
PLACEHOLDER = UUID(int=0)
"""Stands for a named instrument until the symbol is resolved (shape checks only)."""
MAX_ISSUES = 100

_T = TransactionType
_QUANTITY_LIMIT = Decimal(10) ** (28 - QUANTITY_SCALE)
_AMOUNT_LIMIT = Decimal(10) ** (20 - AMOUNT_SCALE)
# Domain field names (shape, engine) -> the input's names.
_INPUT_NAMES = {"instrumentId": "symbol", "fxRate": "date", "transferredLots": "lots"}


def row_field(index: int, name: str) -> str:
    return f"transactions[{index}].{name}"


def own_field(_: int, name: str) -> str:
    return name


def input_name(name: str) -> str:
    head, dot, rest = name.partition(".")
    return _INPUT_NAMES.get(head, head) + dot + rest


@dataclass(frozen=True, slots=True)
class TransactionInput:
    type: TransactionType | str
    date: date
    symbol: str | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    fee: Decimal | None = None
    amount: Decimal | None = None
    ratio: Decimal | None = None
    lots: Sequence[LotPick] = ()
    reference: str | None = None
    note: str | None = None
    currency: str | None = None
    """Cash rows without a symbol: default the portfolio's base currency. Rows naming a
    symbol are in the instrument's currency (another one is CURRENCY_MISMATCH)."""
    reinvested: bool | None = None
    """DIVIDEND: true needs quantity and price (a new lot), false an amount; None infers."""

    def request(self) -> dict[str, object]:
        """What an idempotency fingerprint covers."""
        return {
            "type": str(self.type),
            "date": self.date.isoformat(),
            "symbol": self.symbol,
            "quantity": _text(self.quantity),
            "price": _text(self.price),
            "fee": _text(self.fee),
            "amount": _text(self.amount),
            "ratio": _text(self.ratio),
            "lots": [[p.lot_id, _text(p.quantity)] for p in self.lots],
            "reference": self.reference,
            "note": self.note,
            "currency": self.currency,
            "reinvested": self.reinvested,
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value.normalize())


@dataclass(frozen=True, slots=True)
class Draft:
    """A row parsed and bounded; the instrument and the FX rate come later."""

    index: int
    transaction: Transaction
    symbol: str | None
    currency: str | None


@dataclass
class Issues:
    name: FieldName
    found: list[FieldIssue] = field(default_factory=list)

    def add(self, index: int, name: str, code: str, message: str) -> None:
        self.found.append(FieldIssue(self.name(index, input_name(name)), code, message))

    def raise_any(self) -> None:
        if self.found:
            raise ValidationFailed(self.found[:MAX_ISSUES])

    @property
    def full(self) -> bool:
        return len(self.found) >= MAX_ISSUES


def _bounded(
    value: Decimal | None, scale: int, limit: Decimal, index: int, name: str, issues: Issues
) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite():
        issues.add(index, name, ErrorCode.INVALID, f"{name} must be a finite number.")
        return None
    exponent = value.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and exponent < -scale
        and value != value.quantize(Decimal(1).scaleb(-scale))
    ):
        issues.add(index, name, ErrorCode.INVALID, f"At most {scale} decimal places.")
        return None
    if abs(value) >= limit:
        issues.add(index, name, ErrorCode.INVALID, f"{name} is too large.")
        return None
    return value


def _clean(value: str | None, limit: int, index: int, name: str, issues: Issues) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    if not cleaned:
        return None
    if len(cleaned) > limit:
        issues.add(index, name, ErrorCode.TOO_LONG, f"At most {limit} characters.")
        return None
    return cleaned


def draft(
    row: TransactionInput,
    index: int,
    issues: Issues,
    *,
    transaction_id: UUID | None = None,
    seq: int = 0,
) -> Draft | None:
    """The row parsed (pure). None when it has problems (added to ``issues``)."""
    before = len(issues.found)
    try:
        kind = TransactionType(str(row.type).upper())
    except ValueError:
        issues.add(index, "type", ErrorCode.INVALID, "Unknown transaction type.")
        return None
    symbol = None
    if row.symbol is not None and row.symbol.strip():
        try:
            symbol = _normalize_symbol(row.symbol)
        except ValidationFailed as failure:
            issues.add(index, "symbol", failure.code, failure.message)
    currency = None
    if row.currency is not None and row.currency.strip():
        try:
            currency = normalize_currency(row.currency)
        except ValidationFailed as failure:
            issues.add(index, "currency", failure.code, failure.message)
    quantity = _bounded(row.quantity, QUANTITY_SCALE, _QUANTITY_LIMIT, index, "quantity", issues)
    price = _bounded(row.price, PRICE_SCALE, _QUANTITY_LIMIT, index, "price", issues)
    fee = _bounded(row.fee, AMOUNT_SCALE, _AMOUNT_LIMIT, index, "fee", issues)
    amount = _bounded(row.amount, AMOUNT_SCALE, _AMOUNT_LIMIT, index, "amount", issues)
    ratio = _bounded(row.ratio, QUANTITY_SCALE, _QUANTITY_LIMIT, index, "ratio", issues)
    picks: list[LotPick] = []
    for n, pick in enumerate(row.lots):
        picked = _bounded(
            pick.quantity, QUANTITY_SCALE, _QUANTITY_LIMIT, index, f"lots[{n}].quantity", issues
        )
        picks.append(LotPick(pick.lot_id.strip(), picked if picked is not None else Decimal(0)))
    reference = _clean(row.reference, MAX_REFERENCE, index, "reference", issues)
    note = _clean(row.note, MAX_NOTE, index, "note", issues)
    if kind is _T.DIVIDEND and row.reinvested is not None:
        shaped_reinvested = quantity is not None or price is not None
        if row.reinvested != shaped_reinvested:
            needs = "quantity and price" if row.reinvested else "an amount"
            issues.add(index, "reinvested", ErrorCode.INVALID, f"This dividend needs {needs}.")
    if len(issues.found) > before:
        return None
    transaction = Transaction(
        id=transaction_id or uuid.uuid4(),
        seq=seq,
        type=kind,
        date=row.date,
        currency=currency or "XXX",
        instrument_id=PLACEHOLDER if symbol else None,
        quantity=quantity,
        price=price,
        fee=fee if fee is not None else Decimal(0),
        amount=amount,
        ratio=ratio,
        lots=tuple(picks),
        reference=reference,
        note=note,
    )
    for issue in validate_shape(transaction):
        if issue.field in ("currency", "fxRate"):
            continue  # not known yet
        issues.add(index, issue.field or "type", issue.code, _message(issue))
    if len(issues.found) > before:
        return None
    return Draft(index, transaction, symbol, currency)


def _message(issue: FieldIssue) -> str:
    if issue.field == "instrumentId":
        return issue.message.replace("instrumentId", "symbol")
    return issue.message


def drafts(rows: Sequence[TransactionInput], name: FieldName, *, first_seq: int = 0) -> list[Draft]:
    """Every row parsed, or ValidationFailed naming each problem (pure)."""
    issues = Issues(name)
    found: list[Draft] = []
    for index, row in enumerate(rows):
        made = draft(row, index, issues, seq=first_seq + index)
        if made is not None:
            found.append(made)
        if issues.full:
            break
    issues.raise_any()
    return found


def resolve(
    found: Sequence[Draft],
    *,
    instruments: Mapping[str, Instrument],
    fx: FxTable,
    base_currency: str,
    name: FieldName,
) -> list[Transaction]:
    """The drafts with their instrument, currency and FX rate (pure)."""
    issues = Issues(name)
    resolved: list[Transaction] = []
    for item in found:
        tx = item.transaction
        instrument = None
        if item.symbol is not None:
            instrument = instruments.get(item.symbol)
            if instrument is None:
                issues.add(
                    item.index, "symbol", ErrorCode.NOT_FOUND, f"No instrument {item.symbol}."
                )
                continue
        currency = item.currency or (instrument.currency if instrument else base_currency)
        if instrument is not None and item.currency and item.currency != instrument.currency:
            issues.add(
                item.index,
                "currency",
                ErrorCode.CURRENCY_MISMATCH,
                f"{instrument.symbol} is quoted in {instrument.currency}.",
            )
            continue
        try:
            rate = fx.rate(currency, tx.date)
        except FxRateNotFound as missing:
            issues.add(item.index, "date", ErrorCode.NOT_FOUND, missing.message)
            continue
        resolved.append(
            replace(
                tx,
                instrument_id=instrument.id if instrument else None,
                currency=currency,
                fx_rate=rate,
            )
        )
        if issues.full:
            break
    issues.raise_any()
    return resolved


def needed_currencies(found: Sequence[Draft], instruments: Mapping[str, Instrument]) -> set[str]:
    currencies = {d.currency for d in found if d.currency}
    currencies |= {
        instruments[d.symbol].currency for d in found if d.symbol and d.symbol in instruments
    }
    return currencies
