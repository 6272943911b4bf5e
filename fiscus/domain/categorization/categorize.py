"""Categorizing bank lines: the organization's rules first (first match wins), then a
learned suggestion for what no rule categorized, else Uncategorized."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from fiscus.domain.categorization.rules import LineFacts, Rule, RuleBook
from fiscus.domain.imports.records import CategorySource

DEFAULT_THRESHOLD = 0.5
"""A suggestion at least this confident categorizes a line on import (it stays a suggestion
until accepted); below it the line stays Uncategorized and the suggestion is only shown."""


class Suggester(Protocol):
    def suggest(self, facts: Sequence[LineFacts]) -> list[tuple[UUID, float] | None]:
        """(category account, confidence in [0, 1]) per line, or None."""
        ...


@dataclass(slots=True)
class Categorization:
    category_account_id: UUID | None
    """None: the Uncategorized account."""
    source: CategorySource
    payee: str
    rule_id: UUID | None = None
    counterparty: str | None = None
    dimensions: dict[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    suggested_account_id: UUID | None = None
    confidence: float | None = None


def apply_rule(rule: Rule | None, facts: LineFacts) -> Categorization:
    if rule is None:
        return Categorization(None, CategorySource.UNCATEGORIZED, facts.payee)
    actions = rule.actions
    return Categorization(
        actions.category_account_id,
        CategorySource.RULE if actions.category_account_id else CategorySource.UNCATEGORIZED,
        actions.payee or facts.payee,
        rule.id,
        actions.counterparty,
        dict([actions.dimension]) if actions.dimension else {},
        actions.tags,
    )


def categorize(
    facts: Sequence[LineFacts],
    rules: RuleBook,
    suggester: Suggester | None,
    *,
    usable: Callable[[UUID], bool],
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Categorization]:
    """``usable(account_id)``: whether a category account can take this line (exists, not
    archived, the bank account's currency). A rule whose category is not usable is passed
    over for the next one."""

    def applicable(rule: Rule) -> bool:
        category = rule.actions.category_account_id
        return category is None or usable(category)

    book = rules.only(applicable)
    found = [apply_rule(book.first_match(f), f) for f in facts]
    if suggester is None:
        return found
    open_lines = [i for i, c in enumerate(found) if c.category_account_id is None]
    if not open_lines:
        return found
    suggestions = suggester.suggest([facts[i] for i in open_lines])
    for i, suggestion in zip(open_lines, suggestions, strict=True):
        if suggestion is None or not usable(suggestion[0]):
            continue
        account, confidence = suggestion
        current = found[i]
        confident = confidence >= threshold
        found[i] = Categorization(
            account if confident else None,
            CategorySource.SUGGESTION if confident else current.source,
            current.payee,
            current.rule_id,
            current.counterparty,
            current.dimensions,
            current.tags,
            account,
            round(confidence, 4),
        )
    return found
