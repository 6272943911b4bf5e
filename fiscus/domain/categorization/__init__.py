"""Cleansing and categorization of bank lines: merchant normalization, an organization's
ordered rules, learned suggestions, recurring series and spending segments."""

from fiscus.domain.categorization.payees import clean_payee
from fiscus.domain.categorization.rules import (
    AmountCondition,
    DateCondition,
    Direction,
    LineFacts,
    Rule,
    RuleActions,
    RuleBook,
    RuleConditions,
    TextCondition,
    TextField,
    TextOperator,
    check_rule,
)

__all__ = [
    "AmountCondition",
    "DateCondition",
    "Direction",
    "LineFacts",
    "Rule",
    "RuleActions",
    "RuleBook",
    "RuleConditions",
    "TextCondition",
    "TextField",
    "TextOperator",
    "check_rule",
    "clean_payee",
]
