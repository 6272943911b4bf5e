"""Categorization rules of an organization: conditions on what a bank line says, actions on
how it is booked. Rules are ordered; the first enabled rule whose conditions all hold wins.

Conditions: text on the description or the payee (contains, equals, starts with, regular
expression; case-insensitive), the amount (a range on its size, and/or its direction), the
account the line was imported into, the date (a range, days of the month, weekdays).
Actions: the category account, the payee, the counterparty, one dimension tag, tags.

Regular expressions run on RE2 (``google-re2``): matching is linear in the text, so no
pattern can backtrack catastrophically; backreferences and lookarounds are refused when the
rule is saved. Patterns are at most ``MAX_PATTERN`` characters and the text they see at most
``MAX_TEXT``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import re2

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.ledger import normalize_tags

MAX_PATTERN = 200
MAX_TEXT = 500
MAX_TEXT_CONDITIONS = 10
MAX_RULE_NAME = 100
MAX_TAGS = 10
MAX_TAG = 40
MAX_RULES = 500


class TextField(enum.StrEnum):
    DESCRIPTION = "description"
    PAYEE = "payee"


class TextOperator(enum.StrEnum):
    CONTAINS = "contains"
    EQUALS = "equals"
    STARTS_WITH = "starts_with"
    REGEX = "regex"


class Direction(enum.StrEnum):
    INFLOW = "inflow"
    OUTFLOW = "outflow"


@dataclass(frozen=True, slots=True)
class TextCondition:
    field: TextField
    operator: TextOperator
    value: str


@dataclass(frozen=True, slots=True)
class AmountCondition:
    """On the amount's size (``min`` and ``max`` inclusive) and/or its direction."""

    min: Decimal | None = None
    max: Decimal | None = None
    direction: Direction | None = None


@dataclass(frozen=True, slots=True)
class DateCondition:
    from_date: date | None = None
    to_date: date | None = None
    days_of_month: tuple[int, int] | None = None
    """Inclusive; (25, 31) is "from the 25th on"."""
    weekdays: frozenset[int] = frozenset()
    """0 = Monday ... 6 = Sunday; empty: any day."""


@dataclass(frozen=True, slots=True)
class RuleConditions:
    text: tuple[TextCondition, ...] = ()
    amount: AmountCondition | None = None
    account_ids: frozenset[UUID] = frozenset()
    """Lines imported into one of these accounts; empty: any account."""
    date: DateCondition | None = None

    def is_empty(self) -> bool:
        return not (self.text or self.amount or self.account_ids or self.date)


@dataclass(frozen=True, slots=True)
class RuleActions:
    category_account_id: UUID | None = None
    payee: str | None = None
    counterparty: str | None = None
    dimension: tuple[str, str] | None = None
    tags: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return (
            not (self.category_account_id or self.payee or self.counterparty or self.dimension)
            and not self.tags
        )


@dataclass(frozen=True, slots=True)
class Rule:
    id: UUID
    name: str
    position: int
    enabled: bool
    conditions: RuleConditions
    actions: RuleActions


@dataclass(slots=True)
class LineFacts:
    """What a rule sees of a bank line (treated as immutable; made per line, so not
    ``frozen``, whose constructor is slow)."""

    description: str
    payee: str
    amount: Decimal
    account_id: UUID
    date: date


# Validation.


def _regex_options() -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = 1 << 20
    return options


def compile_pattern(pattern: str, field_name: str) -> Any:
    if len(pattern) > MAX_PATTERN:
        raise ValidationFailed(
            [FieldIssue(field_name, "TOO_LONG", f"A pattern is at most {MAX_PATTERN} characters.")]
        )
    try:
        return re2.compile(pattern, _regex_options())
    except re2.error as error:
        detail = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else ""
        raise ValidationFailed(
            [
                FieldIssue(
                    field_name,
                    "INVALID",
                    "Not a supported regular expression (RE2 syntax: no backreferences or "
                    f"lookarounds){': ' + detail if detail else ''}.",
                )
            ]
        ) from None


def check_rule(name: str, conditions: RuleConditions, actions: RuleActions) -> str:
    """The cleaned name; raises ``ValidationFailed`` naming every broken field."""
    issues: list[FieldIssue] = []
    cleaned = " ".join(name.split())
    if not cleaned:
        issues.append(FieldIssue("name", "REQUIRED", "A rule needs a name."))
    elif len(cleaned) > MAX_RULE_NAME:
        issues.append(FieldIssue("name", "TOO_LONG", f"At most {MAX_RULE_NAME} characters."))
    if conditions.is_empty():
        issues.append(FieldIssue("conditions", "REQUIRED", "A rule needs at least one condition."))
    if len(conditions.text) > MAX_TEXT_CONDITIONS:
        issues.append(
            FieldIssue("conditions.text", "INVALID", f"At most {MAX_TEXT_CONDITIONS} conditions.")
        )
    for i, condition in enumerate(conditions.text):
        at = f"conditions.text[{i}].value"
        if not condition.value.strip():
            issues.append(FieldIssue(at, "REQUIRED", "A text condition needs a value."))
        elif condition.operator is TextOperator.REGEX:
            try:
                compile_pattern(condition.value, at)
            except ValidationFailed as failure:
                issues.extend(failure.issues)
        elif len(condition.value) > MAX_PATTERN:
            issues.append(FieldIssue(at, "TOO_LONG", f"At most {MAX_PATTERN} characters."))
    amount = conditions.amount
    if amount is not None:
        for bound, limit in (("min", amount.min), ("max", amount.max)):
            if limit is not None and (not limit.is_finite() or limit < 0):
                issues.append(
                    FieldIssue(
                        f"conditions.amount.{bound}",
                        "INVALID",
                        "Amount bounds are on the amount's size: zero or more.",
                    )
                )
        if amount.min is not None and amount.max is not None and amount.min > amount.max:
            issues.append(FieldIssue("conditions.amount.max", "INVALID", "max is below min."))
        if amount.min is None and amount.max is None and amount.direction is None:
            issues.append(
                FieldIssue("conditions.amount", "REQUIRED", "Give a bound or a direction.")
            )
    when = conditions.date
    if when is not None:
        if when.from_date and when.to_date and when.from_date > when.to_date:
            issues.append(FieldIssue("conditions.date.to", "INVALID", "to is before from."))
        if when.days_of_month is not None:
            low, high = when.days_of_month
            if not 1 <= low <= high <= 31:
                issues.append(
                    FieldIssue(
                        "conditions.date.daysOfMonth",
                        "INVALID",
                        "Days of the month are 1-31, low to high.",
                    )
                )
        if any(not 0 <= d <= 6 for d in when.weekdays):
            issues.append(
                FieldIssue("conditions.date.weekdays", "INVALID", "Weekdays are 0 (Monday)-6.")
            )
    if actions.is_empty():
        issues.append(FieldIssue("actions", "REQUIRED", "A rule needs at least one action."))
    for label, value in (("payee", actions.payee), ("counterparty", actions.counterparty)):
        if value is not None and (not value.strip() or len(value) > 200):
            issues.append(FieldIssue(f"actions.{label}", "INVALID", "1-200 characters."))
    if actions.dimension is not None:
        try:
            normalize_tags(dict([actions.dimension]), field_name="actions.dimension")
        except ValidationFailed as failure:
            issues.extend(failure.issues)
    if len(actions.tags) > MAX_TAGS or any(not t.strip() or len(t) > MAX_TAG for t in actions.tags):
        issues.append(
            FieldIssue(
                "actions.tags", "INVALID", f"At most {MAX_TAGS} tags of 1-{MAX_TAG} characters."
            )
        )
    if issues:
        raise ValidationFailed(issues)
    return cleaned


# Matching.


@dataclass
class _CompiledRule:
    rule: Rule
    text_checks: list[tuple[TextField, Any]]
    """(field, predicate over the upper-cased text)."""

    def text_holds(self, description: str, payee: str) -> bool:
        for name, check in self.text_checks:
            if not check(description if name is TextField.DESCRIPTION else payee):
                return False
        return True

    def rest_holds(self, facts: LineFacts) -> bool:
        """The conditions other than text: account, amount, date."""
        conditions = self.rule.conditions
        if conditions.account_ids and facts.account_id not in conditions.account_ids:
            return False
        amount = conditions.amount
        if amount is not None:
            size = abs(facts.amount)
            if amount.min is not None and size < amount.min:
                return False
            if amount.max is not None and size > amount.max:
                return False
            if amount.direction is Direction.INFLOW and facts.amount <= 0:
                return False
            if amount.direction is Direction.OUTFLOW and facts.amount >= 0:
                return False
        when = conditions.date
        if when is not None:
            if when.from_date and facts.date < when.from_date:
                return False
            if when.to_date and facts.date > when.to_date:
                return False
            if when.days_of_month and not (
                when.days_of_month[0] <= facts.date.day <= when.days_of_month[1]
            ):
                return False
            if when.weekdays and facts.date.weekday() not in when.weekdays:
                return False
        return True


def _text_check(condition: TextCondition) -> Any:
    value = " ".join(condition.value.upper().split())
    if condition.operator is TextOperator.CONTAINS:
        return lambda text: value in text
    if condition.operator is TextOperator.EQUALS:
        return lambda text: text == value
    if condition.operator is TextOperator.STARTS_WITH:
        return lambda text: text.startswith(value)
    pattern = compile_pattern(condition.value, "pattern")
    return lambda text: pattern.search(text) is not None


MEMO_LIMIT = 200_000


class RuleBook:
    """An organization's enabled rules, compiled once, in order: ``first_match``.

    A statement repeats its descriptions: for each distinct (description, payee) the rules
    whose text conditions hold are found once and kept (up to ``MEMO_LIMIT`` texts); a line
    then only checks those candidates' other conditions (amount, account, date)."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        ordered = sorted((r for r in rules if r.enabled), key=lambda r: (r.position, str(r.id)))
        self._rules = [
            _CompiledRule(r, [(c.field, _text_check(c)) for c in r.conditions.text])
            for r in ordered
        ]
        self._candidates: dict[tuple[str, str], list[_CompiledRule]] = {}

    def __len__(self) -> int:
        return len(self._rules)

    def only(self, applicable: Callable[[Rule], bool]) -> RuleBook:
        """The rules ``applicable`` accepts (e.g. those whose category can take the lines),
        compiled already."""
        subset = RuleBook(())
        subset._rules = [c for c in self._rules if applicable(c.rule)]
        return subset

    def _candidates_for(self, facts: LineFacts) -> list[_CompiledRule]:
        key = (facts.description, facts.payee)
        found = self._candidates.get(key)
        if found is None:
            description = " ".join(facts.description[:MAX_TEXT].upper().split())
            payee = " ".join(facts.payee[:MAX_TEXT].upper().split())
            found = [c for c in self._rules if c.text_holds(description, payee)]
            if len(self._candidates) < MEMO_LIMIT:
                self._candidates[key] = found
        return found

    def first_match(
        self, facts: LineFacts, applicable: Callable[[Rule], bool] | None = None
    ) -> Rule | None:
        """The first rule that holds (and that ``applicable`` accepts)."""
        for compiled in self._candidates_for(facts):
            if applicable is not None and not applicable(compiled.rule):
                continue
            if compiled.rest_holds(facts):
                return compiled.rule
        return None

    def matches(self, rule_id: UUID, facts: Sequence[LineFacts]) -> list[bool]:
        compiled = next((c for c in self._rules if c.rule.id == rule_id), None)
        if compiled is None:
            return [False] * len(facts)
        return [
            compiled.text_holds(
                " ".join(f.description[:MAX_TEXT].upper().split()),
                " ".join(f.payee[:MAX_TEXT].upper().split()),
            )
            and compiled.rest_holds(f)
            for f in facts
        ]


# Storage shape (jsonb).


def _decimal(raw: Any) -> Decimal | None:
    if raw is None:
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def conditions_to_json(c: RuleConditions) -> dict[str, Any]:
    return {
        "text": [
            {"field": t.field.value, "operator": t.operator.value, "value": t.value} for t in c.text
        ],
        "amount": None
        if c.amount is None
        else {
            "min": None if c.amount.min is None else str(c.amount.min),
            "max": None if c.amount.max is None else str(c.amount.max),
            "direction": c.amount.direction.value if c.amount.direction else None,
        },
        "account_ids": sorted(str(a) for a in c.account_ids),
        "date": None
        if c.date is None
        else {
            "from": c.date.from_date.isoformat() if c.date.from_date else None,
            "to": c.date.to_date.isoformat() if c.date.to_date else None,
            "days_of_month": list(c.date.days_of_month) if c.date.days_of_month else None,
            "weekdays": sorted(c.date.weekdays),
        },
    }


def conditions_from_json(raw: dict[str, Any]) -> RuleConditions:
    amount = raw.get("amount")
    when = raw.get("date")
    return RuleConditions(
        text=tuple(
            TextCondition(TextField(t["field"]), TextOperator(t["operator"]), t["value"])
            for t in raw.get("text") or []
        ),
        amount=None
        if not amount
        else AmountCondition(
            _decimal(amount.get("min")),
            _decimal(amount.get("max")),
            Direction(amount["direction"]) if amount.get("direction") else None,
        ),
        account_ids=frozenset(UUID(a) for a in raw.get("account_ids") or []),
        date=None
        if not when
        else DateCondition(
            date.fromisoformat(when["from"]) if when.get("from") else None,
            date.fromisoformat(when["to"]) if when.get("to") else None,
            (int(when["days_of_month"][0]), int(when["days_of_month"][1]))
            if when.get("days_of_month")
            else None,
            frozenset(when.get("weekdays") or []),
        ),
    )


def actions_to_json(a: RuleActions) -> dict[str, Any]:
    return {
        "category_account_id": str(a.category_account_id) if a.category_account_id else None,
        "payee": a.payee,
        "counterparty": a.counterparty,
        "dimension": list(a.dimension) if a.dimension else None,
        "tags": list(a.tags),
    }


def actions_from_json(raw: dict[str, Any]) -> RuleActions:
    dimension = raw.get("dimension")
    return RuleActions(
        category_account_id=UUID(raw["category_account_id"])
        if raw.get("category_account_id")
        else None,
        payee=raw.get("payee"),
        counterparty=raw.get("counterparty"),
        dimension=(dimension[0], dimension[1]) if dimension else None,
        tags=tuple(raw.get("tags") or []),
    )
