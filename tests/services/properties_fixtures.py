"""Shared set-up for property tests: a building with units, tenants, leases."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from fiscus.domain.properties import LateFeeRule, LeaseParty
from fiscus.services.properties import buildings, leases


async def building(runtime, principal, name="Elm Court", units=("1A",)):
    made = await buildings.create_building(
        runtime.ledger, principal, name=name, currency="USD", address="1 Elm St"
    )
    found = [
        await buildings.create_unit(
            runtime.ledger,
            principal,
            building_id=made.id,
            number=number,
            market_rent=Decimal(1500),
        )
        for number in units
    ]
    return made, found


async def lease(
    runtime,
    principal,
    unit_id,
    tenants,
    *,
    starts=date(2026, 1, 15),
    ends=None,
    rent="1500",
    due_day=1,
    grace=5,
    deposit="0",
    late_fee: LateFeeRule | None = None,
    shares=None,
    key=None,
):
    parties = [
        LeaseParty(t, Decimal(s))
        for t, s in zip(tenants, shares or [Decimal(1) / len(tenants)] * len(tenants), strict=True)
    ]
    return await leases.create_lease(
        runtime.ledger,
        principal,
        leases.LeaseTerms(
            unit_id=unit_id,
            starts_on=starts,
            ends_on=ends,
            monthly_rent=Decimal(rent),
            due_day=due_day,
            grace_days=grace,
            parties=parties,
            deposit=Decimal(deposit),
            late_fee=late_fee,
        ),
        idempotency_key=key or uuid.uuid4().hex,
    )
