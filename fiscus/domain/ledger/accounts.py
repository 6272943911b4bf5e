"""The chart of accounts: five account types, a tree per organization, dimension tags."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed


class Side(enum.StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class AccountType(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def normal_side(self) -> Side:
        """Where a positive balance sits: debit for assets and expenses, credit otherwise.
        Stored amounts are signed (debit > 0), so a natural balance is ``sum * sign``."""
        return Side.DEBIT if self in (AccountType.ASSET, AccountType.EXPENSE) else Side.CREDIT

    @property
    def sign(self) -> int:
        return 1 if self.normal_side is Side.DEBIT else -1

    @property
    def family(self) -> str:
        """Balance-sheet accounts (asset, liability, equity) and P&L accounts (income,
        expense) form two families; a parent and its child belong to the same type."""
        return "balance_sheet" if self in _BALANCE_SHEET else "profit_and_loss"


_BALANCE_SHEET = frozenset({AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY})

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_:/]{0,31}$")
_TAG_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_NAME = 200
MAX_TAGS = 16
MAX_TAG_VALUE = 100


@dataclass(frozen=True, slots=True)
class Account:
    id: UUID
    org_id: UUID
    code: str
    name: str
    type: AccountType
    currency: str
    parent_id: UUID | None
    archived: bool
    tags: Mapping[str, str] = field(default_factory=dict)


def normalize_code(code: str, *, field_name: str = "code") -> str:
    candidate = code.strip()
    if not _CODE.match(candidate):
        raise ValidationFailed(
            [
                FieldIssue(
                    field_name,
                    "INVALID",
                    "An account code is 1-32 characters: letters, digits and . - _ : /",
                )
            ]
        )
    return candidate


def normalize_name(name: str, *, field_name: str = "name") -> str:
    candidate = " ".join(name.split())
    if not candidate:
        raise ValidationFailed([FieldIssue(field_name, "REQUIRED", "A name is required.")])
    if len(candidate) > MAX_NAME:
        raise ValidationFailed(
            [FieldIssue(field_name, "TOO_LONG", f"At most {MAX_NAME} characters.")]
        )
    return candidate


def normalize_tags(tags: Mapping[str, str], *, field_name: str = "tags") -> dict[str, str]:
    """Dimension tags (``property: elm-street``): lower-case keys, short non-empty values."""
    if len(tags) > MAX_TAGS:
        raise ValidationFailed(
            [FieldIssue(field_name, "INVALID", f"At most {MAX_TAGS} tags per account or line.")]
        )
    clean: dict[str, str] = {}
    for key, value in tags.items():
        k, v = key.strip().lower(), value.strip()
        if not _TAG_KEY.match(k):
            raise ValidationFailed(
                [
                    FieldIssue(
                        f"{field_name}.{key}",
                        "INVALID",
                        "A tag key is 1-32 characters: a-z, digits and _, starting with a letter.",
                    )
                ]
            )
        if not v or len(v) > MAX_TAG_VALUE:
            raise ValidationFailed(
                [
                    FieldIssue(
                        f"{field_name}.{key}",
                        "INVALID",
                        f"A tag value is 1-{MAX_TAG_VALUE} characters.",
                    )
                ]
            )
        clean[k] = v
    return clean


def check_parent(child: Account, parent: Account, ancestors_of_parent: set[UUID]) -> None:
    """A parent is in the same organization, of the same account type, and not the child or
    one of its descendants (``ancestors_of_parent`` holds the parent's ancestor ids)."""
    if parent.org_id != child.org_id:
        raise ValidationFailed([FieldIssue("parentId", "NOT_FOUND", "No such account.")])
    if parent.id == child.id or child.id in ancestors_of_parent:
        raise ValidationFailed(
            [FieldIssue("parentId", "INVALID", "An account cannot be its own ancestor.")]
        )
    if parent.type is not child.type:
        raise ValidationFailed(
            [
                FieldIssue(
                    "parentId",
                    "INVALID",
                    f"A {child.type.value} account needs a {child.type.value} parent.",
                )
            ]
        )
