"""Buildings and units: create, change, delete (only what nothing refers to: a building
without units or expenses, a unit without leases or expenses). Audit-logged."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.properties import (
    Building,
    Unit,
    building_address,
    building_details,
    building_name,
    check_unit_figures,
    unit_number,
)
from fiscus.domain.receivables import normalize_currency
from fiscus.persistence.models.properties import BuildingRow, UnitRow
from fiscus.persistence.repositories.properties import building_of, unit_of
from fiscus.persistence.uow import UnitOfWork
from fiscus.services.receivables.context import ReceivablesContext
from fiscus.services.receivables.ledger import event, record_events


@dataclass(frozen=True, slots=True)
class BuildingChanges:
    name: str | None = None
    address: str | None = None
    details: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class UnitChanges:
    number: str | None = None
    size: Decimal | None = None
    bedrooms: int | None = None
    market_rent: Decimal | None = None


def collect(*checks: Callable[[], Any]) -> list[Any]:
    """Runs every check; raises one ``ValidationFailed`` with all their issues."""
    issues: list[FieldIssue] = []
    results: list[Any] = []
    for check in checks:
        try:
            results.append(check())
        except ValidationFailed as failure:
            issues.extend(failure.issues)
            results.append(None)
    if issues:
        raise ValidationFailed(issues)
    return results


async def audit(
    uow: UnitOfWork,
    principal: Principal,
    now: datetime,
    action: str,
    subject_type: str,
    subject_id: UUID,
    details: dict[str, Any],
) -> None:
    await record_events(
        uow,
        [
            event(
                principal.org_id,
                principal.user_id,
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                at=now,
                details=details,
            )
        ],
    )


async def create_building(
    ctx: ReceivablesContext,
    principal: Principal,
    *,
    name: str,
    currency: str,
    address: str | None = None,
    details: Mapping[str, str] | None = None,
) -> Building:
    clean_name, clean_currency, clean_address, clean_details = collect(
        lambda: building_name(name),
        lambda: normalize_currency(currency),
        lambda: building_address(address),
        lambda: building_details(details or {}),
    )
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = BuildingRow(
            org_id=principal.org_id,
            id=uuid.uuid4(),
            name=clean_name,
            address=clean_address,
            currency=clean_currency,
            details=clean_details,
            created_at=now,
        )
        await uow.properties.add(row)
        await audit(
            uow,
            principal,
            now,
            "properties.building_created",
            "building",
            row.id,
            {"name": clean_name},
        )
        await uow.commit()
    return building_of(row)


async def update_building(
    ctx: ReceivablesContext, principal: Principal, building_id: UUID, changes: BuildingChanges
) -> Building:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await uow.properties.building_row(building_id, for_update=True)
        if row is None:
            raise NotFound("No such building.", field="buildingId")
        name, address, details = collect(
            lambda: building_name(changes.name) if changes.name is not None else row.name,
            lambda: (
                building_address(changes.address) if changes.address is not None else row.address
            ),
            lambda: (
                building_details(changes.details) if changes.details is not None else row.details
            ),
        )
        row.name, row.address, row.details = name, address, dict(details)
        await uow.properties.flush()
        await audit(
            uow, principal, now, "properties.building_updated", "building", row.id, {"name": name}
        )
        await uow.commit()
    return building_of(row)


async def delete_building(ctx: ReceivablesContext, principal: Principal, building_id: UUID) -> UUID:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await uow.properties.building_row(building_id, for_update=True)
        if row is None:
            raise NotFound("No such building.", field="buildingId")
        if await uow.properties.building_in_use(building_id):
            raise RuleViolation(
                "IN_USE", "A building with units or expenses cannot be deleted.", "buildingId"
            )
        await uow.properties.remove(row)
        await audit(
            uow,
            principal,
            now,
            "properties.building_deleted",
            "building",
            building_id,
            {"name": row.name},
        )
        await uow.commit()
    return building_id


async def create_unit(
    ctx: ReceivablesContext,
    principal: Principal,
    *,
    building_id: UUID,
    number: str,
    size: Decimal | None = None,
    bedrooms: int | None = None,
    market_rent: Decimal | None = None,
) -> Unit:
    (clean_number,) = collect(lambda: unit_number(number))
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        building = await uow.properties.building_row(building_id)
        if building is None:
            raise NotFound("No such building.", field="buildingId")
        check_unit_figures(size, bedrooms, market_rent, building.currency.strip())
        await _number_free(uow, building_id, clean_number, None)
        row = UnitRow(
            org_id=principal.org_id,
            id=uuid.uuid4(),
            building_id=building_id,
            number=clean_number,
            size=size,
            bedrooms=bedrooms,
            market_rent=market_rent,
            created_at=now,
        )
        await uow.properties.add(row)
        await audit(
            uow,
            principal,
            now,
            "properties.unit_created",
            "unit",
            row.id,
            {"building": str(building_id), "number": clean_number},
        )
        await uow.commit()
    return unit_of(row)


async def _number_free(
    uow: UnitOfWork, building_id: UUID, number: str, unit_id: UUID | None
) -> None:
    taken = await uow.properties.unit_by_number(building_id, number)
    if taken is not None and taken != unit_id:
        raise RuleViolation("INVALID", "The building has a unit with this number.", "number")


async def update_unit(
    ctx: ReceivablesContext, principal: Principal, unit_id: UUID, changes: UnitChanges
) -> Unit:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await uow.properties.unit_row(unit_id, for_update=True)
        if row is None:
            raise NotFound("No such unit.", field="unitId")
        building = await uow.properties.building_row(row.building_id)
        assert building is not None
        number = row.number
        if changes.number is not None:
            (number,) = collect(lambda: unit_number(changes.number or ""))
            await _number_free(uow, row.building_id, number, unit_id)
        size = changes.size if changes.size is not None else row.size
        bedrooms = changes.bedrooms if changes.bedrooms is not None else row.bedrooms
        rent = changes.market_rent if changes.market_rent is not None else row.market_rent
        check_unit_figures(size, bedrooms, rent, building.currency.strip())
        row.number, row.size, row.bedrooms, row.market_rent = number, size, bedrooms, rent
        await uow.properties.flush()
        await audit(
            uow, principal, now, "properties.unit_updated", "unit", unit_id, {"number": number}
        )
        await uow.commit()
    return unit_of(row)


async def delete_unit(ctx: ReceivablesContext, principal: Principal, unit_id: UUID) -> UUID:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await uow.properties.unit_row(unit_id, for_update=True)
        if row is None:
            raise NotFound("No such unit.", field="unitId")
        if await uow.properties.unit_in_use(unit_id):
            raise RuleViolation(
                "IN_USE", "A unit with leases or expenses cannot be deleted.", "unitId"
            )
        await uow.properties.remove(row)
        await audit(
            uow,
            principal,
            now,
            "properties.unit_deleted",
            "unit",
            unit_id,
            {"number": row.number},
        )
        await uow.commit()
    return unit_id
