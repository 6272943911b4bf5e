"""What the billing job charges, as pure functions (formulas in
docs/RECEIVABLES_PROPERTIES.md).

**Rent.** Each calendar month a lease covers is billed once per tenant, under the key
``rent:<lease>:<YYYY-MM>:<tenant>``. A month the lease covers only partly (the first and
the last) is prorated by days: ``rent x covered days / days in the month``, rounded half up
to the currency's minor unit. A tenant's charge is its share of the month's rent rounded
down to the minor unit; the cents left over go to the first tenant, so the charges add up to
the month's rent exactly. The charge is issued on the later of the month's first day and the
lease's start, and falls due on the ``due_day`` of the month (never before its issue).

**Late fees.** A rent charge still open at the end of its grace period (``due + grace``) is
late. ONCE: one fee, on the day after the grace period (key ``late:<charge>``). DAILY: one
fee for every day ``d`` from then on whose previous day ended with the charge open (key
``late:<charge>:<d>``), until the fees reach the cap (the last one is cut to the cap).
FIXED fees are the rule's amount; PERCENT fees are that percent of the rent charge, rounded
half up.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from uuid import UUID

from fiscus.domain.money import minor_units
from fiscus.domain.properties.leases import LateFeeKind, LateFeeMode, LateFeeRule, Lease


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    return month_end(day) + timedelta(days=1)


def months(first: date, last: date) -> Iterator[date]:
    """First days of the months from ``first``'s through ``last``'s."""
    month = month_start(first)
    while month <= last:
        yield month
        month = next_month(month)


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def round_half_up(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(_quantum(currency), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class RentLine:
    lease_id: UUID
    counterparty_id: UUID
    month: date
    amount: Decimal
    issued_on: date
    due_on: date
    days: int
    days_in_month: int

    @property
    def source_key(self) -> str:
        return f"rent:{self.lease_id}:{self.month:%Y-%m}:{self.counterparty_id}"

    @property
    def description(self) -> str:
        label = f"Rent {self.month:%Y-%m}"
        if self.days < self.days_in_month:
            return f"{label} ({self.days}/{self.days_in_month} days)"
        return label


def month_rent(lease: Lease, month: date) -> tuple[Decimal, int, int] | None:
    """(rent, covered days, days in the month) of a month, None when it is not covered."""
    first, last = month_start(month), month_end(month)
    lease_last = lease.last_day
    start = max(first, lease.starts_on)
    end = last if lease_last is None else min(last, lease_last)
    if end < start:
        return None
    days, in_month = (end - start).days + 1, (last - first).days + 1
    if days == in_month:
        return lease.monthly_rent, days, in_month
    return round_half_up(lease.monthly_rent * days / in_month, lease.currency), days, in_month


def split(amount: Decimal, shares: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Each share of ``amount`` rounded down; what is left goes to the first."""
    quantum = _quantum(currency)
    parts = [(amount * share).quantize(quantum, rounding=ROUND_DOWN) for share in shares]
    parts[0] += amount - sum(parts, Decimal(0))
    return parts


def rent_lines(lease: Lease, through: date, *, since: date | None = None) -> list[RentLine]:
    """Every month's rent from ``since``'s month (default: the lease's first) through
    ``through``'s month, per tenant; a month is billed once it has begun."""
    lines: list[RentLine] = []
    first = max(lease.starts_on, since) if since else lease.starts_on
    last = through if lease.last_day is None else min(through, lease.last_day)
    if last < first:
        return lines
    shares = [p.share for p in lease.parties]
    for month in months(first, last):
        found = month_rent(lease, month)
        if found is None:
            continue
        rent, days, in_month = found
        issued = max(month, lease.starts_on)
        due = max(month.replace(day=lease.due_day), issued)
        for party, amount in zip(lease.parties, split(rent, shares, lease.currency), strict=True):
            if amount > 0:
                lines.append(
                    RentLine(
                        lease.id, party.counterparty_id, month, amount, issued, due, days, in_month
                    )
                )
    return lines


def deposit_lines(lease: Lease) -> list[tuple[UUID, Decimal]]:
    """Each tenant's share of the deposit (nothing when there is none)."""
    if lease.deposit <= 0:
        return []
    shares = [p.share for p in lease.parties]
    parts = split(lease.deposit, shares, lease.currency)
    return [(p.counterparty_id, a) for p, a in zip(lease.parties, parts, strict=True) if a > 0]


def fee_amount(rule: LateFeeRule, rent: Decimal, currency: str) -> Decimal:
    if rule.kind is LateFeeKind.FIXED:
        return rule.amount
    return round_half_up(rent * rule.amount / 100, currency)


@dataclass(frozen=True, slots=True)
class LateFee:
    day: date
    amount: Decimal
    source_key: str


def late_fees(
    rule: LateFeeRule,
    *,
    charge_id: UUID,
    rent: Decimal,
    currency: str,
    due_on: date,
    grace_days: int,
    through: date,
    open_at_end_of: Callable[[date], bool],
    settled_from: date | None = None,
) -> list[LateFee]:
    """Every fee the rule gives the rent charge up to ``through`` (those charged already
    included: their keys make them exist once). From ``settled_from`` on the charge is
    never open again."""
    first = due_on + timedelta(days=grace_days + 1)
    amount = fee_amount(rule, rent, currency)
    if through < first or amount <= 0:
        return []
    if rule.mode is LateFeeMode.ONCE:
        if not open_at_end_of(first - timedelta(days=1)):
            return []
        fee = amount if rule.cap is None else min(amount, rule.cap)
        return [LateFee(first, fee, f"late:{charge_id}")]
    assert rule.cap is not None
    fees: list[LateFee] = []
    total = Decimal(0)
    day = first
    stop = through if settled_from is None else min(through, settled_from)
    while day <= stop and total < rule.cap:
        if open_at_end_of(day - timedelta(days=1)):
            fee = min(amount, rule.cap - total)
            fees.append(LateFee(day, fee, f"late:{charge_id}:{day.isoformat()}"))
            total += fee
        day += timedelta(days=1)
    return fees
