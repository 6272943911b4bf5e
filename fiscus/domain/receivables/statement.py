"""A statement of account: what a counterparty was charged and paid over a period, with
the running balance. Its balance is the counterparty's net position, charges less
payments (so a credit shows as a negative balance): the sub-ledger's balance (charges less
allocations) less its credit (payments less allocations). Voids appear on their void day
as negative lines of the voided kind.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fiscus.domain.receivables.aging import ZERO


class StatementLineKind(enum.StrEnum):
    CHARGE = "charge"
    CHARGE_VOID = "charge_void"
    PAYMENT = "payment"
    PAYMENT_VOID = "payment_void"


_ORDER = {
    StatementLineKind.CHARGE: 0,
    StatementLineKind.PAYMENT: 1,
    StatementLineKind.PAYMENT_VOID: 2,
    StatementLineKind.CHARGE_VOID: 3,
}


@dataclass(frozen=True, slots=True)
class Movement:
    day: date
    kind: StatementLineKind
    document_id: object
    description: str
    reference: str | None
    amount: Decimal
    """Positive: what the document moved (a void carries the voided document's amount)."""
    due_on: date | None = None


@dataclass(frozen=True, slots=True)
class StatementLine:
    day: date
    kind: StatementLineKind
    document_id: object
    description: str
    reference: str | None
    charged: Decimal
    paid: Decimal
    balance: Decimal
    due_on: date | None


@dataclass(frozen=True, slots=True)
class StatementOfAccount:
    from_day: date
    to_day: date
    currency: str
    opening: Decimal
    lines: tuple[StatementLine, ...]

    @property
    def closing(self) -> Decimal:
        return self.lines[-1].balance if self.lines else self.opening

    @property
    def total_charged(self) -> Decimal:
        return sum((line.charged for line in self.lines), ZERO)

    @property
    def total_paid(self) -> Decimal:
        return sum((line.paid for line in self.lines), ZERO)


def net_effect(movement: Movement) -> tuple[Decimal, Decimal]:
    """(charged, paid) of one movement."""
    if movement.kind is StatementLineKind.CHARGE:
        return movement.amount, ZERO
    if movement.kind is StatementLineKind.CHARGE_VOID:
        return -movement.amount, ZERO
    if movement.kind is StatementLineKind.PAYMENT:
        return ZERO, movement.amount
    return ZERO, -movement.amount


def build_statement(
    from_day: date,
    to_day: date,
    currency: str,
    opening: Decimal,
    movements: Sequence[Movement],
) -> StatementOfAccount:
    """Lines by day (charges, then payments, then voids on one day), running balance from
    ``opening`` (the net position at the end of the day before ``from_day``)."""
    ordered = sorted(movements, key=lambda m: (m.day, _ORDER[m.kind], str(m.document_id)))
    balance = opening
    lines: list[StatementLine] = []
    for m in ordered:
        charged, paid = net_effect(m)
        balance += charged - paid
        lines.append(
            StatementLine(
                m.day,
                m.kind,
                m.document_id,
                m.description,
                m.reference,
                charged,
                paid,
                balance,
                m.due_on,
            )
        )
    return StatementOfAccount(from_day, to_day, currency, opening, tuple(lines))


def statement_rows(statement: StatementOfAccount) -> list[list[object]]:
    """The CSV table: a header, the opening line, every line, the closing line."""
    rows: list[list[object]] = [
        ["date", "kind", "description", "reference", "due", "charged", "paid", "balance"]
    ]
    rows.append(
        [statement.from_day, "opening", "Opening balance", "", "", "", "", statement.opening]
    )
    for line in statement.lines:
        rows.append(
            [
                line.day,
                line.kind.value,
                line.description,
                line.reference or "",
                line.due_on or "",
                line.charged,
                line.paid,
                line.balance,
            ]
        )
    rows.append(
        [
            statement.to_day,
            "closing",
            "Closing balance",
            "",
            "",
            statement.total_charged,
            statement.total_paid,
            statement.closing,
        ]
    )
    return rows
