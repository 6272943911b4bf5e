"""Property reports, each with its CSV: occupancy and vacancy per building and month (from
leases), and a building's cash flow per month, quarter or year (from the ledger's lines
tagged with the building: rent and fees billed, collected, expenses, net = collected -
expenses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.ledger.statements import Interval, Period, label, split_periods
from fiscus.domain.properties import Building, OccupancyFigures, occupancy
from fiscus.services.receivables.context import ReceivablesContext
from fiscus.services.receivables.reports import csv_text

MAX_OCCUPANCY_DAYS = 366 * 10


@dataclass(frozen=True, slots=True)
class OccupancyReport:
    rows: list[OccupancyFigures]
    buildings: dict[UUID, Building]

    def csv(self) -> str:
        table: list[list[object]] = [
            [
                "building",
                "from",
                "to",
                "units",
                "unit days",
                "occupied days",
                "occupied units at end",
                "occupancy rate",
                "vacancy rate",
            ]
        ]
        for r in self.rows:
            table.append(
                [
                    self.buildings[r.building_id].name,
                    r.period.start,
                    r.period.end,
                    r.units,
                    r.unit_days,
                    r.occupied_days,
                    r.occupied_units_at_end,
                    r.rate,
                    r.vacancy_rate,
                ]
            )
        return csv_text(table)


@dataclass(frozen=True, slots=True)
class CashFlowColumn:
    period: Period
    label: str
    billed: Decimal
    collected: Decimal
    expenses: Decimal

    @property
    def net(self) -> Decimal:
        return self.collected - self.expenses


@dataclass(frozen=True, slots=True)
class PropertyCashFlow:
    building: Building
    columns: list[CashFlowColumn]

    @property
    def total(self) -> CashFlowColumn:
        zero = Decimal("0.0000")
        start = self.columns[0].period.start
        end = self.columns[-1].period.end
        return CashFlowColumn(
            Period(start, end),
            "Total",
            sum((c.billed for c in self.columns), zero),
            sum((c.collected for c in self.columns), zero),
            sum((c.expenses for c in self.columns), zero),
        )

    def csv(self) -> str:
        table: list[list[object]] = [
            ["period", "from", "to", "rent and fees billed", "collected", "expenses", "net"]
        ]
        for c in [*self.columns, self.total]:
            table.append(
                [c.label, c.period.start, c.period.end, c.billed, c.collected, c.expenses, c.net]
            )
        return csv_text(table)


def _check_range(from_day: date, to_day: date) -> None:
    if to_day < from_day:
        raise ValidationFailed([FieldIssue("to", "INVALID", "`to` must not be before `from`.")])
    if (to_day - from_day).days > MAX_OCCUPANCY_DAYS:
        raise ValidationFailed([FieldIssue("to", "INVALID", "At most ten years at once.")])


async def occupancy_report(
    ctx: ReceivablesContext,
    principal: Principal,
    from_day: date,
    to_day: date,
    building_id: UUID | None = None,
) -> OccupancyReport:
    _check_range(from_day, to_day)
    periods = split_periods(from_day, to_day, Interval.MONTH)
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        units, spans = await reads.properties.occupancy_inputs(from_day, to_day, building_id)
        buildings = await reads.properties.buildings_by_ids(sorted(set(units.values())))
    rows = occupancy(units, spans, periods)
    rows.sort(key=lambda r: (buildings[r.building_id].name, str(r.building_id), r.period))
    return OccupancyReport(rows, buildings)


async def property_cash_flow(
    ctx: ReceivablesContext,
    principal: Principal,
    building_id: UUID,
    from_day: date,
    to_day: date,
    interval: Interval,
) -> PropertyCashFlow:
    periods = split_periods(from_day, to_day, interval)
    bounds = [p.start for p in periods] + [periods[-1].end + timedelta(days=1)]
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        building = (await reads.properties.buildings_by_ids([building_id])).get(building_id)
        if building is None:
            raise NotFound("No such building.", field="buildingId")
        sums = {
            s.column: s
            for s in await reads.properties.cash_flow(
                building_id, building.currency, bounds, from_day, to_day
            )
        }
    zero = Decimal("0.0000")
    columns = []
    for i, period in enumerate(periods, start=1):
        found = sums.get(i)
        columns.append(
            CashFlowColumn(
                period,
                label(period, interval),
                found.billed if found else zero,
                found.collected if found else zero,
                found.expenses if found else zero,
            )
        )
    return PropertyCashFlow(building, columns)
