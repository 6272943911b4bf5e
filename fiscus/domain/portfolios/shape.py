"""Stateless checks of one transaction row: the fields its type needs, and no others.

``FieldIssue.field`` is the input field's name in camelCase (``quantity``, ``fxRate``,
``lots[1].quantity``, ``transferredLots[0].acquiredOn``); the API prefixes the row
(``transactions[3].``). Rules that need the rows before it (enough quantity, enough cash, an
open lot) are the engine's (``engine.replay``).
"""

from __future__ import annotations

from decimal import Decimal

from fiscus.domain.errors import ErrorCode, FieldIssue
from fiscus.domain.portfolios.kinds import (
    BUY,
    DEPOSIT,
    DIVIDEND,
    FEE,
    INTEREST,
    SELL,
    SPLIT,
    TRANSFER_IN,
    TRANSFER_OUT,
    WITHDRAWAL,
)
from fiscus.domain.portfolios.model import Transaction, TransactionType

_ZERO = Decimal(0)
_CASH_TYPES = (DEPOSIT, WITHDRAWAL, INTEREST, FEE)
_INSTRUMENT_FORBIDDEN = (DEPOSIT, WITHDRAWAL)
_INSTRUMENT_OPTIONAL = (INTEREST, FEE)
_TRADES = (BUY, SELL)
MAX_LOTS_PER_ROW = 500


def _required(field: str) -> FieldIssue:
    return FieldIssue(field, ErrorCode.REQUIRED, f"{field} is required for this type.")


def _unused(field: str, kind: TransactionType) -> FieldIssue:
    return FieldIssue(field, ErrorCode.INVALID, f"{field} is not used by a {kind.value}.")


def _positive(value: Decimal | None, field: str, issues: list[FieldIssue]) -> None:
    if value is None:
        issues.append(_required(field))
    elif not value.is_finite() or value <= _ZERO:
        issues.append(FieldIssue(field, ErrorCode.INVALID, f"{field} must be positive."))


def validate_shape(
    tx: Transaction,
    *,
    base_currency: str | None = None,
    instrument_currency: str | None = None,
) -> list[FieldIssue]:
    """Issues of one row, in field order; empty when the row is well-formed.

    With ``base_currency``: a row in the base currency must have ``fxRate`` 1. With
    ``instrument_currency``: a row about an instrument must be in its currency.
    """
    issues: list[FieldIssue] = []
    kind = tx.type
    if not isinstance(kind, TransactionType):
        return [FieldIssue("type", ErrorCode.INVALID, "Unknown transaction type.")]
    code = tx.currency
    if not (code and len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()):
        issues.append(FieldIssue("currency", ErrorCode.INVALID, "A 3-letter ISO 4217 code."))
    if not tx.fx_rate.is_finite() or tx.fx_rate <= _ZERO:
        issues.append(FieldIssue("fxRate", ErrorCode.INVALID, "fxRate must be positive."))
    elif base_currency is not None and tx.currency == base_currency and tx.fx_rate != 1:
        issues.append(
            FieldIssue(
                "fxRate",
                ErrorCode.CURRENCY_MISMATCH,
                f"A row in the base currency {base_currency} has fxRate 1.",
            )
        )
    if (
        instrument_currency is not None
        and tx.instrument_id is not None
        and kind is not FEE
        and tx.currency != instrument_currency
    ):
        issues.append(
            FieldIssue(
                "currency",
                ErrorCode.CURRENCY_MISMATCH,
                f"The instrument is quoted in {instrument_currency}.",
            )
        )
    if tx.instrument_id is None:
        if kind not in _INSTRUMENT_FORBIDDEN and kind not in _INSTRUMENT_OPTIONAL:
            issues.append(_required("instrumentId"))
    elif kind in _INSTRUMENT_FORBIDDEN:
        issues.append(_unused("instrumentId", kind))
    if not tx.fee.is_finite() or tx.fee < _ZERO:
        issues.append(FieldIssue("fee", ErrorCode.INVALID, "fee cannot be negative."))
    elif kind is FEE and tx.fee != _ZERO:
        issues.append(FieldIssue("fee", ErrorCode.INVALID, "A FEE row puts its fee in amount."))

    if kind in _CASH_TYPES:
        _positive(tx.amount, "amount", issues)
        _forbid(tx, kind, ("quantity", "price", "ratio"), issues)
    elif kind in _TRADES:
        _positive(tx.quantity, "quantity", issues)
        _positive(tx.price, "price", issues)
        _forbid(tx, kind, ("amount", "ratio"), issues)
    elif kind is DIVIDEND:
        _dividend(tx, issues)
    elif kind is SPLIT:
        _positive(tx.ratio, "ratio", issues)
        _forbid(tx, kind, ("quantity", "price", "amount"), issues)
        if tx.fee:
            issues.append(_unused("fee", kind))
    elif kind is TRANSFER_IN:
        _transfer_in(tx, issues)
        _forbid(tx, kind, ("price", "amount", "ratio"), issues)
    else:  # TRANSFER_OUT
        if tx.quantity is None and not tx.lots:
            issues.append(_required("quantity"))
        elif tx.quantity is not None:
            _positive(tx.quantity, "quantity", issues)
        _forbid(tx, kind, ("price", "amount", "ratio"), issues)

    if tx.lots:
        if kind is SELL or kind is TRANSFER_OUT:
            _picks(tx, issues)
        else:
            issues.append(_unused("lots", kind))
    if tx.transferred_lots and kind is not TRANSFER_IN:
        issues.append(_unused("transferredLots", kind))
    return issues


def _forbid(
    tx: Transaction, kind: TransactionType, fields: tuple[str, ...], issues: list[FieldIssue]
) -> None:
    for field in fields:
        if getattr(tx, field) is not None:
            issues.append(_unused(field, kind))


def _dividend(tx: Transaction, issues: list[FieldIssue]) -> None:
    """Cash (``amount``) or reinvested (``quantity`` and ``price``: a new lot), not both."""
    if tx.quantity is None and tx.price is None:
        _positive(tx.amount, "amount", issues)
    else:
        _positive(tx.quantity, "quantity", issues)
        _positive(tx.price, "price", issues)
        if tx.amount is not None:
            issues.append(
                FieldIssue(
                    "amount",
                    ErrorCode.INVALID,
                    "A reinvested dividend gives quantity and price, not amount.",
                )
            )
    if tx.ratio is not None:
        issues.append(_unused("ratio", tx.type))


def _picks(tx: Transaction, issues: list[FieldIssue]) -> None:
    if len(tx.lots) > MAX_LOTS_PER_ROW:
        issues.append(FieldIssue("lots", ErrorCode.INVALID, f"At most {MAX_LOTS_PER_ROW}."))
        return
    total = _ZERO
    for n, pick in enumerate(tx.lots):
        if not pick.lot_id:
            issues.append(_required(f"lots[{n}].lotId"))
        _positive(pick.quantity, f"lots[{n}].quantity", issues)
        if pick.quantity is not None and pick.quantity.is_finite():
            total += pick.quantity
    if tx.quantity is not None and tx.quantity.is_finite() and total != tx.quantity:
        issues.append(
            FieldIssue(
                "quantity",
                ErrorCode.INVALID,
                f"quantity {tx.quantity} differs from the lots' total {total}.",
            )
        )


def _transfer_in(tx: Transaction, issues: list[FieldIssue]) -> None:
    if not tx.transferred_lots:
        issues.append(_required("transferredLots"))
        return
    if len(tx.transferred_lots) > MAX_LOTS_PER_ROW:
        issues.append(
            FieldIssue("transferredLots", ErrorCode.INVALID, f"At most {MAX_LOTS_PER_ROW}.")
        )
        return
    total = _ZERO
    for n, lot in enumerate(tx.transferred_lots):
        where = f"transferredLots[{n}]"
        _positive(lot.quantity, f"{where}.quantity", issues)
        for name, value in (("costBasis", lot.cost_basis), ("costLocal", lot.cost_local)):
            if not value.is_finite() or value < _ZERO:
                issues.append(
                    FieldIssue(f"{where}.{name}", ErrorCode.INVALID, "Cost cannot be negative.")
                )
        if lot.acquired_on > tx.date:
            issues.append(
                FieldIssue(
                    f"{where}.acquiredOn",
                    ErrorCode.INVALID,
                    "A lot cannot be acquired after the transfer.",
                )
            )
        if lot.quantity.is_finite():
            total += lot.quantity
    if tx.quantity is not None and total != tx.quantity:
        issues.append(
            FieldIssue(
                "quantity",
                ErrorCode.INVALID,
                f"quantity {tx.quantity} differs from the lots' total {total}.",
            )
        )
