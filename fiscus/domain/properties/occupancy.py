"""Occupancy from leases: a unit is occupied on a day when a lease covers it. A building's
occupancy rate over a period is its occupied unit-days over its unit-days (every unit it has
counts for the whole period); vacancy = 1 - occupancy."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from fiscus.domain.ledger.statements import Period

RATE_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Occupied:
    unit_id: UUID
    starts_on: date
    last_day: date | None


@dataclass(frozen=True, slots=True)
class OccupancyFigures:
    building_id: UUID
    period: Period
    units: int
    unit_days: int
    occupied_days: int
    occupied_units_at_end: int

    @property
    def rate(self) -> Decimal:
        if self.unit_days == 0:
            return Decimal(0).quantize(RATE_QUANTUM)
        return (Decimal(self.occupied_days) / self.unit_days).quantize(
            RATE_QUANTUM, rounding=ROUND_HALF_UP
        )

    @property
    def vacancy_rate(self) -> Decimal:
        return Decimal(1) - self.rate if self.unit_days else Decimal(0).quantize(RATE_QUANTUM)


def occupied_days(spans: Iterable[Occupied], period: Period) -> int:
    """Days of ``period`` covered by any of the spans (overlaps counted once)."""
    clipped = sorted(
        (
            max(s.starts_on, period.start),
            period.end if s.last_day is None else min(s.last_day, period.end),
        )
        for s in spans
    )
    total, reached = 0, period.start - timedelta(days=1)
    for start, end in clipped:
        if end < start or end <= reached:
            continue
        start = max(start, reached + timedelta(days=1))
        total += (end - start).days + 1
        reached = end
    return total


def occupancy(
    units: dict[UUID, UUID],
    spans: Sequence[Occupied],
    periods: Sequence[Period],
) -> list[OccupancyFigures]:
    """Per building (``units``: unit -> building) and period, by building then period."""
    by_unit: dict[UUID, list[Occupied]] = {}
    for span in spans:
        by_unit.setdefault(span.unit_id, []).append(span)
    buildings: dict[UUID, list[UUID]] = {}
    for unit_id, building_id in units.items():
        buildings.setdefault(building_id, []).append(unit_id)
    out: list[OccupancyFigures] = []
    for building_id in sorted(buildings, key=str):
        unit_ids = buildings[building_id]
        for period in periods:
            occupied = sum(occupied_days(by_unit.get(u, []), period) for u in unit_ids)
            at_end = sum(
                1
                for u in unit_ids
                if any(
                    s.starts_on <= period.end and (s.last_day is None or s.last_day >= period.end)
                    for s in by_unit.get(u, [])
                )
            )
            out.append(
                OccupancyFigures(
                    building_id,
                    period,
                    len(unit_ids),
                    len(unit_ids) * period.days,
                    occupied,
                    at_end,
                )
            )
    return out
