"""The bank's running balance, checked against the lines: each line's balance must be the
previous balance plus the line's amount, in the file's chronological order (files come
newest-first or oldest-first; the order is read from the dates, and from the balances
themselves when every line is on one day). Pending lines carry no balance and are left out
of the chain; a failed row restarts it."""

from __future__ import annotations

import bisect
from collections.abc import Collection, Sequence
from decimal import Decimal

from fiscus.domain.imports.model import (
    LineProblem,
    ProblemKind,
    StatementBalance,
    StatementLine,
)


def newest_first(lines: Sequence[StatementLine]) -> bool:
    return len(lines) > 1 and lines[0].date > lines[-1].date


def _mismatches(
    ordered: Sequence[StatementLine], failed_lines: Collection[int]
) -> list[tuple[StatementLine, Decimal]]:
    """(line, the balance the chain expected) for every line whose balance breaks it."""
    found: list[tuple[StatementLine, Decimal]] = []
    failed = sorted(failed_lines)
    running: Decimal | None = None
    previous_line: int | None = None
    for line in ordered:
        if line.pending:
            continue
        if previous_line is not None and _between(failed, previous_line, line.line):
            running = None  # a row we could not read sits in between: restart the chain
        previous_line = line.line
        if running is None:
            running = line.balance
            continue
        running += line.amount
        if line.balance is not None:
            if running != line.balance:
                found.append((line, running))
            running = line.balance
    return found


def _between(failed: Sequence[int], a: int, b: int) -> bool:
    low, high = min(a, b), max(a, b)
    i = bisect.bisect_right(failed, low)
    return i < len(failed) and failed[i] < high


def chronological(
    lines: Sequence[StatementLine], failed_lines: Collection[int] = ()
) -> list[StatementLine]:
    """The lines oldest first, keeping the bank's order within a day."""
    if newest_first(lines):
        return list(reversed(lines))
    if len(lines) > 1 and lines[0].date == lines[-1].date:
        forward, backward = list(lines), list(reversed(lines))
        if len(_mismatches(backward, failed_lines)) < len(_mismatches(forward, failed_lines)):
            return backward
    return list(lines)


def check_running_balances(
    lines: Sequence[StatementLine], failed_lines: Collection[int] = ()
) -> list[LineProblem]:
    if sum(1 for line in lines if line.balance is not None) < 2:
        return []
    return [
        LineProblem(
            line.line,
            ProblemKind.WARNING,
            "BALANCE_MISMATCH",
            "balance",
            f"The bank's balance {line.balance} does not follow from the previous line's: "
            f"expected {expected}.",
        )
        for line, expected in _mismatches(chronological(lines, failed_lines), failed_lines)
    ]


def ending_balance(lines: Sequence[StatementLine]) -> StatementBalance | None:
    """The balance of the newest line that has one: what the account held at its date."""
    for line in reversed(chronological(lines)):
        if line.balance is not None and not line.pending:
            return StatementBalance(line.balance, line.date)
    return None
