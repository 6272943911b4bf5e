"""What every statement is built from: the chart and, per account, the balance before the
first column and the signed movement (debit positive) in each column, in one reporting
currency.

Currency: sums arrive per (account, currency, column). A sum in the reporting currency is
taken as is; a sum in another currency must come with its converted value — the sum of
``amount * rate`` over its lines, ``rate`` being the reporting-currency units one unit of
the line's currency was worth, as recorded on the line when it was posted. A foreign sum
without a converted value (some line carried no rate) is refused: statements never mix
currencies silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.ledger.accounts import Account, AccountType
from fiscus.domain.ledger.statements.periods import Period

ZERO = Decimal(0)


class StatementIntegrityError(RuntimeError):
    """A statement's own invariant failed (the sheet does not balance, the cash flow does not
    reconcile): the books or the code are wrong. Never shown to clients as is."""


@dataclass(frozen=True, slots=True)
class CurrencySum:
    """One account's lines in one currency, summed over one column (``column`` is the index
    in the periods; -1 is everything before the first column)."""

    account_id: UUID
    currency: str
    column: int
    amount: Decimal
    converted: Decimal | None = None


@dataclass(frozen=True)
class Figures:
    accounts: Sequence[Account]
    columns: tuple[Period, ...]
    opening: Mapping[UUID, Decimal]
    movements: Mapping[UUID, tuple[Decimal, ...]]
    currency: str
    by_id: dict[UUID, Account] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {a.id: a for a in self.accounts})

    def movement(self, account_id: UUID, column: int) -> Decimal:
        found = self.movements.get(account_id)
        return found[column] if found else ZERO

    def closing(self, account_id: UUID, column: int) -> Decimal:
        """The balance at the end of column ``column``."""
        found = self.movements.get(account_id)
        opening = self.opening.get(account_id, ZERO)
        return opening + sum(found[: column + 1], ZERO) if found else opening

    def of_type(self, *types: AccountType) -> list[Account]:
        return [a for a in self.accounts if a.type in types]


def reporting_currency(accounts: Iterable[Account], requested: str | None) -> str:
    """The requested currency, else the one most of the chart's accounts use (ties: the
    alphabetically first)."""
    if requested:
        return requested.strip().upper()
    counts: dict[str, int] = {}
    for account in accounts:
        counts[account.currency] = counts.get(account.currency, 0) + 1
    if not counts:
        return "USD"
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]


def figures_from_sums(
    accounts: Sequence[Account],
    columns: tuple[Period, ...],
    sums: Iterable[CurrencySum],
    currency: str,
) -> Figures:
    opening: dict[UUID, Decimal] = {}
    movements: dict[UUID, list[Decimal]] = {}
    missing: set[str] = set()
    for item in sums:
        if item.currency == currency:
            value = item.amount
        elif item.converted is not None:
            value = item.converted
        else:
            missing.add(item.currency)
            continue
        if item.column < 0:
            opening[item.account_id] = opening.get(item.account_id, ZERO) + value
        else:
            row = movements.setdefault(item.account_id, [ZERO] * len(columns))
            row[item.column] += value
    if missing:
        names = ", ".join(sorted(missing))
        raise ValidationFailed(
            [
                FieldIssue(
                    "currency",
                    "INVALID",
                    f"Lines in {names} carry no rate to {currency}: choose `currency` "
                    f"among the books' currencies or post those lines with a rate.",
                )
            ]
        )
    return Figures(
        accounts=accounts,
        columns=columns,
        opening=opening,
        movements={k: tuple(v) for k, v in movements.items()},
        currency=currency,
    )
