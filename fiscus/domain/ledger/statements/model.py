"""A statement: columns, and lines whose amounts are one per column; a compared statement
also carries, per line, the comparison period's amounts and the deltas."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from uuid import UUID

from fiscus.domain.ledger.accounts import Account
from fiscus.domain.ledger.statements.figures import ZERO
from fiscus.domain.ledger.statements.periods import Period


class StatementKind(enum.StrEnum):
    TRIAL_BALANCE = "trial_balance"
    INCOME_STATEMENT = "income_statement"
    BALANCE_SHEET = "balance_sheet"
    CASH_FLOW_DIRECT = "cash_flow_direct"
    CASH_FLOW_INDIRECT = "cash_flow_indirect"


class LineKind(enum.StrEnum):
    ACCOUNT = "account"
    """An account without children shown: its own amount."""
    PARENT = "parent"
    """An account with children shown: its own amount plus theirs (a subtotal)."""
    TOTAL = "total"
    """A section's or the statement's computed total."""
    HEADING = "heading"


@dataclass(frozen=True, slots=True)
class Line:
    key: str
    label: str
    kind: LineKind
    depth: int
    amounts: tuple[Decimal, ...]
    account_id: UUID | None = None
    code: str | None = None
    compared: tuple[Decimal, ...] | None = None

    @property
    def deltas(self) -> tuple[Decimal, ...] | None:
        if self.compared is None:
            return None
        return tuple(a - b for a, b in zip(self.amounts, self.compared, strict=True))


@dataclass(frozen=True, slots=True)
class Statement:
    kind: StatementKind
    currency: str
    columns: tuple[Period, ...]
    lines: tuple[Line, ...]
    compared_columns: tuple[Period, ...] | None = None

    def line(self, key: str) -> Line:
        for line in self.lines:
            if line.key == key:
                return line
        raise KeyError(key)


def compare(current: Statement, previous: Statement) -> Statement:
    """``current`` with each line's amounts in ``previous`` (matched by key; zero where the
    line is absent there). Lines only in ``previous`` are appended after their section."""
    width = len(current.columns)
    before = {line.key: line.amounts for line in previous.lines}
    lines = [
        replace(line, compared=before.get(line.key, (ZERO,) * width)) for line in current.lines
    ]
    known = {line.key for line in current.lines}
    for line in previous.lines:
        if line.key not in known and line.kind in (LineKind.ACCOUNT, LineKind.PARENT):
            lines.append(replace(line, amounts=(ZERO,) * width, compared=line.amounts))
    return replace(current, lines=tuple(lines), compared_columns=previous.columns)


def tree_lines(
    accounts: Sequence[Account],
    amounts: Callable[[Account], tuple[Decimal, ...]],
    width: int,
    *,
    depth: int = 0,
) -> tuple[list[Line], tuple[Decimal, ...]]:
    """Lines for ``accounts`` in tree order (by code), each parent carrying its subtree's
    total; a child whose parent is not among ``accounts`` starts a tree of its own. Accounts
    whose subtree is zero everywhere are left out unless active. Returns the lines and the
    column totals of the roots."""
    present = {a.id for a in accounts}
    children: dict[UUID | None, list[Account]] = {}
    for account in accounts:
        parent = account.parent_id if account.parent_id in present else None
        children.setdefault(parent, []).append(account)
    for siblings in children.values():
        siblings.sort(key=lambda a: (a.code, a.name))

    def walk(account: Account, level: int) -> tuple[list[Line], tuple[Decimal, ...]]:
        own = amounts(account)
        below: list[Line] = []
        total = list(own)
        for child in children.get(account.id, ()):
            lines, child_total = walk(child, level + 1)
            below.extend(lines)
            total = [t + c for t, c in zip(total, child_total, strict=True)]
        if not below and account.archived and not any(total):
            return [], tuple(total)
        kind = LineKind.PARENT if below else LineKind.ACCOUNT
        head = Line(
            key=f"account:{account.id}",
            label=account.name,
            kind=kind,
            depth=level,
            amounts=tuple(total),
            account_id=account.id,
            code=account.code,
        )
        return [head, *below], tuple(total)

    lines: list[Line] = []
    totals = [ZERO] * width
    for root in children.get(None, ()):
        found, subtotal = walk(root, depth)
        lines.extend(found)
        totals = [t + s for t, s in zip(totals, subtotal, strict=True)]
    return lines, tuple(totals)


def heading(key: str, label: str, width: int) -> Line:
    return Line(key=key, label=label, kind=LineKind.HEADING, depth=0, amounts=(ZERO,) * width)


def total(key: str, label: str, amounts: Sequence[Decimal], depth: int = 0) -> Line:
    return Line(key=key, label=label, kind=LineKind.TOTAL, depth=depth, amounts=tuple(amounts))
