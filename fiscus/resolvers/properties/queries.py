"""Property queries: buildings -> units -> leases (``PROPERTIES_READ``); occupancy, a
building's cash flow and the delinquency trend are reports (``REPORTS_READ``: aggregates
that name no tenant)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain.errors import DomainError
from fiscus.domain.identity import Permission, Principal
from fiscus.domain.ledger.statements import Interval
from fiscus.resolvers.receivables import cursors, ids
from fiscus.schema import properties as types
from fiscus.schema.permissions import requires
from fiscus.schema.relay import Connection, build_connection, check_first
from fiscus.services.properties import queries, reports
from fiscus.services.receivables import snapshots

READ = [requires(Permission.PROPERTIES_READ)]
REPORTS = [requires(Permission.REPORTS_READ)]
From = Annotated[date, strawberry.argument(name="from")]


def _argument_error(error: DomainError) -> GraphQLError:
    return GraphQLError(
        error.message, extensions={"code": error.code, "argument": error.field or "from"}
    )


async def resolve_properties_node(
    info: Info, principal: Principal, type_name: str, key: UUID
) -> types.Building | types.Unit | types.Lease | None:
    if not principal.can(Permission.PROPERTIES_READ):
        return None
    loaders = info.context.loaders.properties
    if type_name == "Building":
        building = await loaders.buildings.load(key)
        return types.Building.from_domain(building) if building else None
    if type_name == "Unit":
        unit = await loaders.units.load(key)
        return types.Unit.from_domain(unit) if unit else None
    if type_name == "Lease":
        lease = await loaders.leases.load(key)
        return types.Lease.from_domain(lease) if lease else None
    return None


@strawberry.type
class PropertiesQuery:
    @strawberry.field(description="Buildings by name.", permission_classes=READ)
    async def buildings(
        self,
        info: Info,
        search: str | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[types.Building]:
        principal = await info.context.require_principal()
        size = check_first(first)
        found = await queries.buildings_page(
            info.context.ledger,
            principal,
            search.strip() if search and search.strip() else None,
            cursors.decode(after),
            limit=size + 1,
        )
        for b in found:
            info.context.loaders.properties.buildings.prime(b.id, b)
        return build_connection(
            [types.Building.from_domain(b) for b in found[:size]],
            has_next=len(found) > size,
            had_cursor=after is not None,
            cursor_of=lambda b: cursors.encode(b.source.name, b.source.id),
        )

    @strawberry.field(permission_classes=READ)
    async def building(self, info: Info, id: strawberry.ID) -> types.Building | None:
        await info.context.require_principal()
        found = await info.context.loaders.properties.buildings.load(ids.of(id, "Building", "id"))
        return types.Building.from_domain(found) if found else None

    @strawberry.field(permission_classes=READ)
    async def lease(self, info: Info, id: strawberry.ID) -> types.Lease | None:
        await info.context.require_principal()
        found = await info.context.loaders.properties.leases.load(ids.of(id, "Lease", "id"))
        return types.Lease.from_domain(found) if found else None

    @strawberry.field(
        description="Occupancy and vacancy per building and month (a unit is occupied on a "
        "day a lease covers it): occupied unit-days over unit-days.",
        permission_classes=REPORTS,
    )
    async def occupancy(
        self, info: Info, from_: From, to: date, building_id: strawberry.ID | None = None
    ) -> types.Occupancy:
        principal = await info.context.require_principal()
        try:
            found = await reports.occupancy_report(
                info.context.ledger,
                principal,
                from_,
                to,
                ids.of(building_id, "Building", "buildingId") if building_id else None,
            )
        except DomainError as error:
            raise _argument_error(error) from None
        return types.Occupancy.from_report(found)

    @strawberry.field(
        description="A building's rent and fees billed, collected, expenses and net per "
        "month, quarter or year, from the ledger's lines tagged with the building.",
        permission_classes=REPORTS,
    )
    async def property_cash_flow(
        self,
        info: Info,
        building_id: strawberry.ID,
        from_: From,
        to: date,
        interval: Interval = Interval.MONTH,
    ) -> types.PropertyCashFlowReport | None:
        principal = await info.context.require_principal()
        try:
            found = await reports.property_cash_flow(
                info.context.ledger,
                principal,
                ids.of(building_id, "Building", "buildingId"),
                from_,
                to,
                interval,
            )
        except DomainError as error:
            if error.code == "NOT_FOUND":
                return None
            raise _argument_error(error) from None
        return types.PropertyCashFlowReport.from_report(found)

    @strawberry.field(
        description="The month-end agings the snapshot job stored, summed per day and currency.",
        permission_classes=REPORTS,
    )
    async def delinquency_trend(self, info: Info, from_: From, to: date) -> types.DelinquencyTrend:
        principal = await info.context.require_principal()
        try:
            found = await snapshots.delinquency_trend(info.context.ledger, principal, from_, to)
        except DomainError as error:
            raise _argument_error(error) from None
        return types.DelinquencyTrend.from_points(found)
