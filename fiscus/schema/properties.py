"""GraphQL types of property management. ``Building``, ``Unit`` and ``Lease`` are Relay nodes
of the caller's organization (``PROPERTIES_READ``). Occupancy is computed from leases, a
building's cash flow from the ledger; reports carry their CSV."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import strawberry
from strawberry.types import Info

from fiscus.domain import properties as domain
from fiscus.schema.ledger import Tag
from fiscus.schema.receivables import AgingBuckets, Counterparty
from fiscus.schema.relay import Node, to_global_id
from fiscus.services.properties.reports import CashFlowColumn as FoundColumn
from fiscus.services.properties.reports import OccupancyReport, PropertyCashFlow
from fiscus.services.receivables.reports import csv_text
from fiscus.services.receivables.snapshots import TrendPoint

strawberry.enum(domain.LateFeeKind, name="LateFeeKind")
strawberry.enum(domain.LateFeeMode, name="LateFeeMode")
strawberry.enum(domain.LeaseStatus, name="LeaseStatus")


def _today(info: Info) -> date:
    return info.context.ledger.clock().date()  # type: ignore[no-any-return]


@strawberry.type
class Building(Node):
    id: strawberry.ID
    name: str
    address: str | None
    currency: str
    details: list[Tag]
    created_at: datetime | None
    source: strawberry.Private[domain.Building]

    @classmethod
    def from_domain(cls, b: domain.Building) -> Building:
        return cls(
            id=to_global_id("Building", b.id),
            name=b.name,
            address=b.address,
            currency=b.currency,
            details=[Tag(key=k, value=v) for k, v in sorted(b.details.items())],
            created_at=b.created_at,
            source=b,
        )

    @strawberry.field(description="By number; the first `first`.")
    async def units(self, info: Info, first: int = 100) -> list[Unit]:
        found = await info.context.loaders.properties.units_of_buildings.load(self.source.id)
        return [Unit.from_domain(u) for u in found[: max(first, 0)]]


@strawberry.type
class Unit(Node):
    id: strawberry.ID
    number: str
    size: Decimal | None
    bedrooms: int | None
    market_rent: Decimal | None
    source: strawberry.Private[domain.Unit]

    @classmethod
    def from_domain(cls, u: domain.Unit) -> Unit:
        return cls(
            id=to_global_id("Unit", u.id),
            number=u.number,
            size=u.size,
            bedrooms=u.bedrooms,
            market_rent=u.market_rent,
            source=u,
        )

    @strawberry.field
    async def building(self, info: Info) -> Building | None:
        found = await info.context.loaders.properties.buildings.load(self.source.building_id)
        return Building.from_domain(found) if found else None

    @strawberry.field(description="Newest first; the first `first`.")
    async def leases(self, info: Info, first: int = 100) -> list[Lease]:
        found = await info.context.loaders.properties.leases_of_units.load(self.source.id)
        return [Lease.from_domain(x) for x in found[: max(first, 0)]]

    @strawberry.field(description="A lease covers the day (default: today).")
    async def occupied(self, info: Info, on: date | None = None) -> bool:
        day = on or _today(info)
        found = await info.context.loaders.properties.leases_of_units.load(self.source.id)
        return any(x.covers(day) for x in found)


@strawberry.type
class LateFee:
    kind: domain.LateFeeKind
    amount: Decimal = strawberry.field(description="FIXED: the fee; PERCENT: of the rent.")
    mode: domain.LateFeeMode
    cap: Decimal | None


@strawberry.type
class LeaseParty:
    share: Decimal
    counterparty_id: strawberry.ID
    source_id: strawberry.Private[UUID]

    @strawberry.field
    async def counterparty(self, info: Info) -> Counterparty | None:
        found = await info.context.loaders.receivables.counterparties.load(self.source_id)
        return Counterparty.from_domain(found) if found else None


@strawberry.type
class LeaseDocument:
    id: strawberry.ID
    name: str
    content_type: str | None
    size_bytes: int | None
    storage_key: str | None
    uploaded_at: datetime | None

    @classmethod
    def from_domain(cls, d: domain.LeaseDocument) -> LeaseDocument:
        return cls(
            id=to_global_id("LeaseDocument", d.id),
            name=d.name,
            content_type=d.content_type,
            size_bytes=d.size_bytes,
            storage_key=d.storage_key,
            uploaded_at=d.uploaded_at,
        )


@strawberry.type
class Lease(Node):
    id: strawberry.ID
    starts_on: date
    ends_on: date | None
    terminated_on: date | None
    last_day: date | None
    monthly_rent: Decimal
    currency: str
    deposit: Decimal
    due_day: int
    grace_days: int
    late_fee: LateFee | None
    billed_through: date | None
    source: strawberry.Private[domain.Lease]

    @classmethod
    def from_domain(cls, x: domain.Lease) -> Lease:
        rule = x.late_fee
        return cls(
            id=to_global_id("Lease", x.id),
            starts_on=x.starts_on,
            ends_on=x.ends_on,
            terminated_on=x.terminated_on,
            last_day=x.last_day,
            monthly_rent=x.monthly_rent,
            currency=x.currency,
            deposit=x.deposit,
            due_day=x.due_day,
            grace_days=x.grace_days,
            late_fee=LateFee(kind=rule.kind, amount=rule.amount, mode=rule.mode, cap=rule.cap)
            if rule
            else None,
            billed_through=x.billed_through,
            source=x,
        )

    @strawberry.field(description="The tenants and their shares; the first `first`.")
    def parties(self, first: int = 10) -> list[LeaseParty]:
        return [
            LeaseParty(
                share=p.share,
                counterparty_id=to_global_id("Counterparty", p.counterparty_id),
                source_id=p.counterparty_id,
            )
            for p in self.source.parties[: max(first, 0)]
        ]

    @strawberry.field(description="On `on` (default: today).")
    def status(self, info: Info, on: date | None = None) -> domain.LeaseStatus:
        return self.source.status(on or _today(info))

    @strawberry.field
    async def unit(self, info: Info) -> Unit | None:
        found = await info.context.loaders.properties.units.load(self.source.unit_id)
        return Unit.from_domain(found) if found else None

    @strawberry.field(description="Metadata of the lease's documents; the first `first`.")
    async def documents(self, info: Info, first: int = 100) -> list[LeaseDocument]:
        found = await info.context.loaders.properties.documents.load(self.source.id)
        return [LeaseDocument.from_domain(d) for d in found[: max(first, 0)]]


@strawberry.type
class OccupancyRow:
    building: Building
    from_: date = strawberry.field(name="from")
    to: date
    units: int
    unit_days: int
    occupied_days: int
    occupied_units_at_end: int
    occupancy_rate: Decimal
    vacancy_rate: Decimal


@strawberry.type(description="Per building and month: occupied unit-days over unit-days.")
class Occupancy:
    rows: list[OccupancyRow]
    csv: str

    @classmethod
    def from_report(cls, report: OccupancyReport) -> Occupancy:
        return cls(
            rows=[
                OccupancyRow(
                    building=Building.from_domain(report.buildings[r.building_id]),
                    from_=r.period.start,
                    to=r.period.end,
                    units=r.units,
                    unit_days=r.unit_days,
                    occupied_days=r.occupied_days,
                    occupied_units_at_end=r.occupied_units_at_end,
                    occupancy_rate=r.rate,
                    vacancy_rate=r.vacancy_rate,
                )
                for r in report.rows
            ],
            csv=report.csv(),
        )


@strawberry.type
class CashFlowColumn:
    label: str
    from_: date = strawberry.field(name="from")
    to: date
    rent_billed: Decimal = strawberry.field(description="Rent and fees charged (income).")
    collected: Decimal = strawberry.field(description="Payments applied to its charges.")
    expenses: Decimal
    net: Decimal = strawberry.field(description="Collected less expenses.")


@strawberry.type
class PropertyCashFlowReport:
    building: Building
    currency: str
    columns: list[CashFlowColumn]
    total: CashFlowColumn
    csv: str

    @classmethod
    def from_report(cls, report: PropertyCashFlow) -> PropertyCashFlowReport:
        def column(c: FoundColumn) -> CashFlowColumn:
            return CashFlowColumn(
                label=c.label,
                from_=c.period.start,
                to=c.period.end,
                rent_billed=c.billed,
                collected=c.collected,
                expenses=c.expenses,
                net=c.net,
            )

        return cls(
            building=Building.from_domain(report.building),
            currency=report.building.currency,
            columns=[column(c) for c in report.columns],
            total=column(report.total),
            csv=report.csv(),
        )


@strawberry.type
class DelinquencyPoint:
    as_of: date
    counterparties: int
    buckets: AgingBuckets


@strawberry.type(description="Month-end agings stored by the snapshot job.")
class DelinquencyTrend:
    points: list[DelinquencyPoint]
    csv: str

    @classmethod
    def from_points(cls, points: list[TrendPoint]) -> DelinquencyTrend:
        table: list[list[object]] = [
            [
                "as of",
                "currency",
                "counterparties",
                "current",
                "1-30",
                "31-60",
                "61-90",
                "over 90",
                "total",
            ]
        ]
        for p in points:
            f = p.figures
            table.append(
                [
                    p.as_of,
                    p.currency,
                    p.counterparties,
                    f.current,
                    f.days_1_30,
                    f.days_31_60,
                    f.days_61_90,
                    f.over_90,
                    f.total,
                ]
            )
        return cls(
            points=[
                DelinquencyPoint(
                    as_of=p.as_of,
                    counterparties=p.counterparties,
                    buckets=AgingBuckets.of(p.currency, p.figures),
                )
                for p in points
            ],
            csv=csv_text(table),
        )
