"""From a parsed statement to the bank lines to write: dedupe keys, clean payees, the
categorization (rules, then learned suggestions, else Uncategorized), and the rows the
import reports without a line (failed, skipped) or with a warning. Pure and CPU-bound: run
it off the event loop."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from fiscus.domain.categorization import LineFacts, RuleBook, clean_payee
from fiscus.domain.categorization.categorize import Suggester, categorize
from fiscus.domain.imports import LineProblem, ParsedStatement, ProblemKind, dedupe_keys
from fiscus.domain.imports.records import RowOutcome
from fiscus.persistence.repositories.imports_writes import NewBankLine

ProblemRow = tuple[int, str, UUID | None, str | None, str | None, str | None]
"""(line, outcome, bank line id, code, field, message) as ``bank_import_rows`` keeps it."""


@dataclass
class PreparedLines:
    lines: list[NewBankLine]
    problem_rows: list[ProblemRow] = field(default_factory=list)
    warnings: dict[int, LineProblem] = field(default_factory=dict)
    """Warnings on lines that are written, by line."""
    notes: list[dict[str, Any]] = field(default_factory=list)
    """Warnings about the statement as a whole."""


def _uuids(count: int) -> Iterator[uuid.UUID]:
    """Random (version 4) ids from one read of the OS's randomness, not one per id."""
    pool = os.urandom(16 * count)
    for i in range(count):
        yield uuid.UUID(bytes=pool[16 * i : 16 * i + 16], version=4)


def prepare_lines(
    parsed: ParsedStatement,
    *,
    account_id: UUID,
    currency: str,
    rules: RuleBook,
    suggester: Suggester | None,
    usable: Callable[[UUID], bool],
    uncategorized_id: UUID,
    threshold: float,
) -> PreparedLines:
    keys = dedupe_keys(parsed.lines)
    payees: dict[str, str] = {}
    kept = []
    problem_rows: list[ProblemRow] = []
    for line, key in zip(parsed.lines, keys, strict=True):
        if line.currency and line.currency.upper() != currency:
            problem_rows.append(
                (
                    line.line,
                    RowOutcome.FAILED.value,
                    None,
                    "CURRENCY_MISMATCH",
                    "currency",
                    f"The line is in {line.currency}; the account is kept in {currency}.",
                )
            )
            continue
        raw = line.payee or line.description
        payee = payees.get(raw)
        if payee is None:
            payee = payees[raw] = clean_payee(raw) or raw
        kept.append((line, key, payee))
    facts = [
        LineFacts(line.description, payee, line.amount, account_id, line.date)
        for line, _, payee in kept
    ]
    found = categorize(facts, rules, suggester, usable=usable, threshold=threshold)
    ids = _uuids(2 * len(kept))
    lines = [
        NewBankLine(
            row_no=line.line,
            id=next(ids),
            entry_id=next(ids),
            dedupe_key=key,
            date=line.date,
            amount=line.amount,
            description=line.description,
            payee=category.payee,
            category_account_id=category.category_account_id or uncategorized_id,
            category_source=category.source.value,
            posted_date=line.posted_date,
            memo=line.memo,
            external_id=line.external_id,
            kind=line.kind,
            bank_category=line.bank_category,
            check_number=line.check_number,
            card=line.card,
            pending=line.pending,
            balance=line.balance,
            rule_id=category.rule_id,
            suggested_account_id=category.suggested_account_id,
            confidence=None
            if category.confidence is None
            else Decimal(f"{category.confidence:.4f}"),
            counterparty=category.counterparty,
            dimensions=category.dimensions,
            tags=category.tags,
        )
        for (line, key, _), category in zip(kept, found, strict=True)
    ]
    written = {line.row_no for line in lines}
    warnings: dict[int, LineProblem] = {}
    notes: list[dict[str, Any]] = []
    for problem in parsed.problems:
        if problem.kind is ProblemKind.WARNING:
            if problem.line in written and problem.line not in warnings:
                warnings[problem.line] = problem
            else:
                notes.append(
                    {
                        "line": problem.line,
                        "code": problem.code,
                        "field": problem.field,
                        "message": problem.message,
                    }
                )
            continue
        outcome = RowOutcome.SKIPPED if problem.kind is ProblemKind.SKIPPED else RowOutcome.FAILED
        problem_rows.append(
            (problem.line, outcome.value, None, problem.code, problem.field, problem.message)
        )
    return PreparedLines(lines, problem_rows, warnings, notes)
