"""Leases: a unit, one or more tenants with shares, start and end, monthly rent, deposit, the
day rent falls due, grace days and a late-fee rule. A unit is occupied on a day when a lease
covers it (from its start through its end or termination, whichever is first); two leases
of one unit never overlap. Nothing about occupancy is stored."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.money import minor_units

MAX_PARTIES = 10
SHARE_QUANTUM = Decimal("0.0001")


class LateFeeKind(enum.StrEnum):
    FIXED = "fixed"
    PERCENT = "percent"


class LateFeeMode(enum.StrEnum):
    ONCE = "once"
    DAILY = "daily"


class LeaseStatus(enum.StrEnum):
    UPCOMING = "upcoming"
    ACTIVE = "active"
    ENDED = "ended"
    TERMINATED = "terminated"


@dataclass(frozen=True, slots=True)
class LateFeeRule:
    kind: LateFeeKind
    amount: Decimal
    """FIXED: the fee; PERCENT: percent of the rent charge (5 = 5%)."""
    mode: LateFeeMode = LateFeeMode.ONCE
    cap: Decimal | None = None
    """DAILY: the most the fees of one rent charge add up to (required)."""


@dataclass(frozen=True, slots=True)
class LeaseParty:
    counterparty_id: UUID
    share: Decimal
    """Of each rent and deposit charge; the shares of a lease sum to 1."""


@dataclass(frozen=True, slots=True)
class Lease:
    id: UUID
    org_id: UUID
    unit_id: UUID
    starts_on: date
    ends_on: date | None
    monthly_rent: Decimal
    currency: str
    due_day: int
    grace_days: int
    parties: tuple[LeaseParty, ...]
    deposit: Decimal = Decimal(0)
    late_fee: LateFeeRule | None = None
    terminated_on: date | None = None
    billed_through: date | None = None
    created_at: datetime | None = None

    @property
    def last_day(self) -> date | None:
        """The last day the lease covers (None: open-ended)."""
        ends = [d for d in (self.ends_on, self.terminated_on) if d is not None]
        return min(ends) if ends else None

    def covers(self, day: date) -> bool:
        last = self.last_day
        return self.starts_on <= day and (last is None or day <= last)

    def status(self, today: date) -> LeaseStatus:
        if today < self.starts_on:
            return LeaseStatus.UPCOMING
        last = self.last_day
        if last is not None and today > last:
            if self.terminated_on is not None and self.terminated_on == last:
                return LeaseStatus.TERMINATED
            return LeaseStatus.ENDED
        return LeaseStatus.ACTIVE

    def overlaps(self, starts_on: date, last_day: date | None) -> bool:
        mine = self.last_day
        return (mine is None or starts_on <= mine) and (
            last_day is None or self.starts_on <= last_day
        )


@dataclass(frozen=True, slots=True)
class LeaseDocument:
    id: UUID
    org_id: UUID
    lease_id: UUID
    name: str
    content_type: str | None = None
    size_bytes: int | None = None
    storage_key: str | None = None
    uploaded_at: datetime | None = None


def _money_issue(
    value: Decimal, currency: str, field_name: str, *, zero_ok: bool
) -> FieldIssue | None:
    if not value.is_finite() or value < 0 or (value == 0 and not zero_ok) or value >= 10**15:
        return FieldIssue(field_name, "INVALID", "Not a valid amount.")
    places = minor_units(currency)
    if value.as_tuple().exponent < -places:  # type: ignore[operator]
        return FieldIssue(field_name, "INVALID", f"At most {places} decimal places in {currency}.")
    return None


def check_terms(
    *,
    starts_on: date,
    ends_on: date | None,
    monthly_rent: Decimal,
    currency: str,
    deposit: Decimal,
    due_day: int,
    grace_days: int,
    late_fee: LateFeeRule | None,
) -> None:
    issues: list[FieldIssue] = []
    if ends_on is not None and ends_on < starts_on:
        issues.append(FieldIssue("endsOn", "INVALID", "A lease ends on or after its start."))
    for value, name, zero_ok in ((monthly_rent, "monthlyRent", False), (deposit, "deposit", True)):
        issue = _money_issue(value, currency, name, zero_ok=zero_ok)
        if issue:
            issues.append(issue)
    if not 1 <= due_day <= 28:
        issues.append(
            FieldIssue("dueDay", "INVALID", "Rent falls due on a day from 1 to 28 of the month.")
        )
    if not 0 <= grace_days <= 60:
        issues.append(FieldIssue("graceDays", "INVALID", "Between 0 and 60 days."))
    if late_fee is not None:
        issues.extend(_late_fee_issues(late_fee, currency))
    if issues:
        raise ValidationFailed(issues)


def _late_fee_issues(rule: LateFeeRule, currency: str) -> list[FieldIssue]:
    issues: list[FieldIssue] = []
    if rule.kind is LateFeeKind.PERCENT:
        if not rule.amount.is_finite() or not 0 < rule.amount <= 100:
            issues.append(
                FieldIssue("lateFee.amount", "INVALID", "A percentage above 0, at most 100.")
            )
        elif rule.amount.as_tuple().exponent < -4:  # type: ignore[operator]
            issues.append(FieldIssue("lateFee.amount", "INVALID", "At most 4 decimal places."))
    else:
        issue = _money_issue(rule.amount, currency, "lateFee.amount", zero_ok=False)
        if issue:
            issues.append(issue)
    if rule.mode is LateFeeMode.DAILY and rule.cap is None:
        issues.append(FieldIssue("lateFee.cap", "REQUIRED", "A daily late fee needs a cap."))
    if rule.cap is not None:
        issue = _money_issue(rule.cap, currency, "lateFee.cap", zero_ok=False)
        if issue:
            issues.append(issue)
    return issues


def check_parties(parties: Sequence[LeaseParty]) -> tuple[LeaseParty, ...]:
    """One or more distinct tenants whose shares (at most 4 decimals, each above 0) sum to 1."""
    if not parties:
        raise ValidationFailed([FieldIssue("parties", "REQUIRED", "A lease needs a tenant.")])
    if len(parties) > MAX_PARTIES:
        raise ValidationFailed(
            [FieldIssue("parties", "INVALID", f"At most {MAX_PARTIES} tenants.")]
        )
    issues: list[FieldIssue] = []
    seen: set[UUID] = set()
    for i, party in enumerate(parties):
        if party.counterparty_id in seen:
            issues.append(
                FieldIssue(f"parties[{i}].counterpartyId", "INVALID", "Each tenant once.")
            )
        seen.add(party.counterparty_id)
        share = party.share
        if (
            not share.is_finite() or not 0 < share <= 1 or share.as_tuple().exponent < -4  # type: ignore[operator]
        ):
            issues.append(
                FieldIssue(
                    f"parties[{i}].share",
                    "INVALID",
                    "A share is above 0 and at most 1, with at most 4 decimals.",
                )
            )
    if not issues and sum((p.share for p in parties), Decimal(0)) != 1:
        issues.append(FieldIssue("parties", "INVALID", "The tenants' shares must sum to 1."))
    if issues:
        raise ValidationFailed(issues)
    return tuple(LeaseParty(p.counterparty_id, p.share.quantize(SHARE_QUANTUM)) for p in parties)


def check_document(name: str, content_type: str | None, size_bytes: int | None) -> str:
    cleaned = " ".join(name.split())
    issues: list[FieldIssue] = []
    if not cleaned:
        issues.append(FieldIssue("name", "REQUIRED", "A document needs a name."))
    elif len(cleaned) > 200:
        issues.append(FieldIssue("name", "TOO_LONG", "At most 200 characters."))
    if content_type is not None and len(content_type) > 100:
        issues.append(FieldIssue("contentType", "TOO_LONG", "At most 100 characters."))
    if size_bytes is not None and size_bytes < 0:
        issues.append(FieldIssue("sizeBytes", "INVALID", "Not a size."))
    if issues:
        raise ValidationFailed(issues)
    return cleaned
