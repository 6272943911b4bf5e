"""Journal entries: balanced per currency, immutable once posted.

Amounts are signed: a debit is positive, a credit negative. Each amount has at most
``AMOUNT_SCALE`` decimal places (PostgreSQL ``NUMERIC(20, 4)``); rates ``NUMERIC(20, 10)``.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, RuleViolation, ValidationFailed

AMOUNT_SCALE = 4
AMOUNT_DIGITS = 20
RATE_SCALE = 10
MAX_LINES = 500
MAX_MEMO = 500
MAX_COUNTERPARTY = 200
_AMOUNT_LIMIT = Decimal(10) ** (AMOUNT_DIGITS - AMOUNT_SCALE)


class EntryStatus(enum.StrEnum):
    DRAFT = "draft"
    POSTED = "posted"


@dataclass(frozen=True, slots=True)
class JournalLine:
    account_id: UUID
    amount: Decimal
    currency: str
    dimensions: Mapping[str, str] = field(default_factory=dict)
    counterparty: str | None = None
    memo: str | None = None
    rate: Decimal | None = None
    """Units of the entry's first currency per unit of this line's currency, when an entry
    mixes currencies (informational: balance is still checked per currency)."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: UUID
    org_id: UUID
    entry_date: date
    memo: str | None
    lines: Sequence[JournalLine]
    status: EntryStatus = EntryStatus.DRAFT
    reverses: UUID | None = None
    posted_at: datetime | None = None

    def imbalances(self) -> dict[str, Decimal]:
        """Currencies whose lines do not sum to zero, with the difference."""
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            sums[line.currency] += line.amount
        return {currency: total for currency, total in sums.items() if total != 0}

    def check(self) -> None:
        """Row rules that need no database: amounts, rates, lengths, at least two lines."""
        issues = line_issues(self.lines)
        if len(self.lines) < 2:
            issues.insert(0, FieldIssue("lines", "INVALID", "An entry needs at least two lines."))
        elif len(self.lines) > MAX_LINES:
            issues.insert(0, FieldIssue("lines", "INVALID", f"At most {MAX_LINES} lines."))
        if self.memo is not None and len(self.memo) > MAX_MEMO:
            issues.append(FieldIssue("memo", "TOO_LONG", f"At most {MAX_MEMO} characters."))
        if issues:
            raise ValidationFailed(issues)

    def post(self, at: datetime) -> JournalEntry:
        """The posted entry. Refuses a posted one, and an entry whose lines do not balance in
        every currency (``ValidationFailed`` naming ``lines``)."""
        if self.status is EntryStatus.POSTED:
            raise RuleViolation("ALREADY_POSTED", "The entry is already posted.", "entryId")
        self.check()
        off = self.imbalances()
        if off:
            detail = ", ".join(f"{c} {amount:+f}" for c, amount in sorted(off.items()))
            raise ValidationFailed(
                [
                    FieldIssue(
                        "lines",
                        "UNBALANCED",
                        f"Debits and credits must balance per currency (off by {detail}).",
                    )
                ]
            )
        return replace(self, status=EntryStatus.POSTED, posted_at=at)

    def reversal(self, *, id: UUID, entry_date: date, memo: str | None) -> JournalEntry:
        """The mirror entry: every line negated, linked to this one, still a draft."""
        if self.status is not EntryStatus.POSTED:
            raise RuleViolation("NOT_POSTED", "Only a posted entry can be reversed.", "entryId")
        lines = [replace(line, amount=-line.amount) for line in self.lines]
        return JournalEntry(id, self.org_id, entry_date, memo, lines, reverses=self.id)


def line_issues(lines: Sequence[JournalLine]) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    for i, line in enumerate(lines):
        at = f"lines[{i}]"
        amount = line.amount
        if not amount.is_finite():
            issues.append(FieldIssue(f"{at}.amount", "INVALID", "Not a finite amount."))
        elif amount == 0:
            issues.append(FieldIssue(f"{at}.amount", "INVALID", "A line amount cannot be zero."))
        elif amount.as_tuple().exponent < -AMOUNT_SCALE:  # type: ignore[operator]
            issues.append(
                FieldIssue(f"{at}.amount", "INVALID", f"At most {AMOUNT_SCALE} decimal places.")
            )
        elif abs(amount) >= _AMOUNT_LIMIT:
            issues.append(FieldIssue(f"{at}.amount", "INVALID", "The amount is too large."))
        if line.rate is not None and (
            not line.rate.is_finite()
            or line.rate <= 0
            or line.rate.as_tuple().exponent < -RATE_SCALE  # type: ignore[operator]
            or line.rate >= _AMOUNT_LIMIT
        ):
            issues.append(
                FieldIssue(
                    f"{at}.rate",
                    "INVALID",
                    f"A rate is positive, with at most {RATE_SCALE} decimal places.",
                )
            )
        if line.memo is not None and len(line.memo) > MAX_MEMO:
            issues.append(FieldIssue(f"{at}.memo", "TOO_LONG", f"At most {MAX_MEMO} characters."))
        if line.counterparty is not None and len(line.counterparty) > MAX_COUNTERPARTY:
            issues.append(
                FieldIssue(
                    f"{at}.counterparty", "TOO_LONG", f"At most {MAX_COUNTERPARTY} characters."
                )
            )
    return issues


def needs_rates(lines: Sequence[JournalLine]) -> list[FieldIssue]:
    """A multi-currency entry carries the rate on every line not in its first currency."""
    if not lines:
        return []
    base = lines[0].currency
    return [
        FieldIssue(f"lines[{i}].rate", "REQUIRED", f"A {line.currency} line needs the rate used.")
        for i, line in enumerate(lines)
        if line.currency != base and line.rate is None
    ]
