"""Property reads for the API: buildings, units, leases, documents."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from fiscus.domain.identity import Principal
from fiscus.domain.properties import Building, Lease, LeaseDocument, Unit
from fiscus.services.receivables.context import ReceivablesContext


async def buildings_page(
    ctx: ReceivablesContext,
    principal: Principal,
    search: str | None,
    after: tuple[str, UUID] | None,
    *,
    limit: int,
) -> list[Building]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.properties.buildings_page(search, after, limit=limit)


async def buildings_by_ids(
    ctx: ReceivablesContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Building]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.properties.buildings_by_ids(ids)


async def units_of_buildings(
    ctx: ReceivablesContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, list[Unit]]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.properties.units_of_buildings(ids)


async def units_by_ids(
    ctx: ReceivablesContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Unit]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.properties.units_by_ids(ids)


async def leases_of_units(
    ctx: ReceivablesContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, list[Lease]]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.properties.leases_of_units(ids)


async def leases_by_ids(
    ctx: ReceivablesContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Lease]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.properties.leases_by_ids(ids)


async def documents_of_leases(
    ctx: ReceivablesContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, list[LeaseDocument]]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.properties.documents_of_leases(ids)
