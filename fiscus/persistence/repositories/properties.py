"""Property-management writes (units of work), reached lazily as ``uow.properties``:
buildings, units, leases with their parties and documents, property expenses, and what the
billing job reads under its locks (leases to bill, late rent charges)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select, text

from fiscus.domain.properties import (
    Building,
    LateFeeKind,
    LateFeeMode,
    LateFeeRule,
    Lease,
    LeaseParty,
    Unit,
)
from fiscus.domain.receivables import Allocation
from fiscus.persistence.models.properties import (
    BuildingRow,
    LeaseDocumentRow,
    LeasePartyRow,
    LeaseRow,
    PropertyExpenseRow,
    UnitRow,
)
from fiscus.persistence.repositories.base import AreaRepository
from fiscus.persistence.repositories.receivables import OPEN, allocation_of

LEASE_COLUMNS = """l.id, l.unit_id, l.starts_on, l.ends_on, l.terminated_on, l.monthly_rent,
    l.currency, l.deposit, l.due_day, l.grace_days, l.late_fee_kind, l.late_fee_amount,
    l.late_fee_mode, l.late_fee_cap, l.billed_through, l.created_at,
    coalesce((SELECT jsonb_agg(jsonb_build_object('counterparty_id', p.counterparty_id,
                                                  'share', p.share::text) ORDER BY p.position)
              FROM lease_parties p WHERE p.org_id = l.org_id AND p.lease_id = l.id),
             '[]'::jsonb) AS parties"""
_LEASES = text(f"""
    SELECT {LEASE_COLUMNS} FROM leases l
    WHERE l.org_id = :org_id AND l.id = ANY(CAST(:ids AS uuid[]))""")  # noqa: S608
_LEASES_OF_UNIT = text(f"""
    SELECT {LEASE_COLUMNS} FROM leases l
    WHERE l.org_id = :org_id AND l.unit_id = :unit_id ORDER BY l.starts_on""")  # noqa: S608
# Leases with a month left to bill through :through: begun, not billed through its month,
# and covering a day after what was billed.
_BILLABLE = text(f"""
    SELECT {LEASE_COLUMNS}, u.building_id FROM leases l
    JOIN units u ON u.org_id = l.org_id AND u.id = l.unit_id
    WHERE l.org_id = :org_id AND l.starts_on <= :through
      AND (l.billed_through IS NULL OR l.billed_through < :month_end)
      AND (l.billed_through IS NULL
           OR least(coalesce(l.ends_on, 'infinity'), coalesce(l.terminated_on, 'infinity'))
              > l.billed_through)
    ORDER BY l.id""")  # noqa: S608
_SET_BILLED = text("""
    UPDATE leases SET billed_through = :through
    WHERE org_id = :org_id AND id = ANY(CAST(:ids AS uuid[]))
      AND (billed_through IS NULL OR billed_through < :through)""")
# Rent charges that may owe a late fee by :through: past their grace period, not settled
# for good by then, and (ONCE) without a fee or (DAILY) below the cap.
_LATE = text("""
    SELECT c.id, c.counterparty_id, c.amount, c.currency, c.issued_on, c.due_on, c.voided_on,
           c.settled_from, c.dimensions, c.account_id, l.id AS lease_id, l.grace_days,
           l.late_fee_kind, l.late_fee_amount, l.late_fee_mode, l.late_fee_cap
    FROM charges c
    JOIN leases l ON l.org_id = c.org_id AND l.id = c.lease_id
    WHERE c.org_id = :org_id AND c.kind = 'rent' AND l.late_fee_kind IS NOT NULL
      AND c.due_on + l.grace_days < :through
      AND c.settled_from > c.due_on + l.grace_days
      AND (c.voided_on IS NULL OR c.voided_on > c.due_on + l.grace_days)
      AND coalesce((SELECT sum(f.amount) FROM charges f
                    WHERE f.org_id = c.org_id AND f.fee_for = c.id AND f.voided_on IS NULL),
                   0) < CASE WHEN l.late_fee_mode = 'once' THEN 0.0001
                             ELSE l.late_fee_cap END
      AND NOT (l.late_fee_mode = 'once' AND EXISTS (
                 SELECT FROM charges f WHERE f.org_id = c.org_id AND f.fee_for = c.id))
    ORDER BY c.id""")
_ALLOCATIONS = text("""
    SELECT a.id, a.payment_id, a.charge_id, a.counterparty_id, a.amount, a.allocated_on,
           a.entry_id, a.voided_on
    FROM allocations a
    WHERE a.org_id = :org_id AND a.charge_id = ANY(CAST(:ids AS uuid[]))""")
_HAS_CHARGES = text("""
    SELECT EXISTS (SELECT FROM charges WHERE org_id = :org_id AND lease_id = :id)""")
_UNIT_IN_USE = text("""
    SELECT EXISTS (SELECT FROM leases WHERE org_id = :org_id AND unit_id = :id)
        OR EXISTS (SELECT FROM property_expenses WHERE org_id = :org_id AND unit_id = :id)""")
_BUILDING_IN_USE = text("""
    SELECT EXISTS (SELECT FROM units WHERE org_id = :org_id AND building_id = :id)
        OR EXISTS (SELECT FROM property_expenses WHERE org_id = :org_id AND building_id = :id)""")
_BILLING_ORGANIZATIONS = text("SELECT fiscus_billing_organizations() AS id ORDER BY 1")
_RECEIVABLES_ORGANIZATIONS = text("SELECT fiscus_receivables_organizations() AS id ORDER BY 1")
_LOCK_UNIT = text("SELECT 1 FROM units WHERE org_id = :org_id AND id = :id FOR UPDATE")


def lease_of(org_id: UUID, r: Any) -> Lease:
    rule = None
    if r["late_fee_kind"]:
        rule = LateFeeRule(
            LateFeeKind(r["late_fee_kind"]),
            Decimal(r["late_fee_amount"]),
            LateFeeMode(r["late_fee_mode"]),
            None if r["late_fee_cap"] is None else Decimal(r["late_fee_cap"]),
        )
    parties = r["parties"]
    if isinstance(parties, str):
        parties = json.loads(parties)
    return Lease(
        r["id"],
        org_id,
        r["unit_id"],
        r["starts_on"],
        r["ends_on"],
        Decimal(r["monthly_rent"]),
        r["currency"].strip(),
        r["due_day"],
        r["grace_days"],
        tuple(LeaseParty(UUID(str(p["counterparty_id"])), Decimal(p["share"])) for p in parties),
        Decimal(r["deposit"]),
        rule,
        r["terminated_on"],
        r["billed_through"],
        r["created_at"],
    )


def building_of(row: BuildingRow) -> Building:
    return Building(
        row.id,
        row.org_id,
        row.name,
        row.currency.strip(),
        row.address,
        dict(row.details),
        row.created_at,
    )


def unit_of(row: UnitRow) -> Unit:
    return Unit(
        row.id,
        row.org_id,
        row.building_id,
        row.number,
        row.size,
        row.bedrooms,
        row.market_rent,
        row.created_at,
    )


@dataclass(frozen=True, slots=True)
class Billable:
    lease: Lease
    building_id: UUID


@dataclass(frozen=True, slots=True)
class LateRent:
    charge_id: UUID
    counterparty_id: UUID
    lease_id: UUID
    amount: Decimal
    currency: str
    issued_on: date
    due_on: date
    voided_on: date | None
    settled_from: date | None
    dimensions: dict[str, str]
    grace_days: int
    rule: LateFeeRule


class PropertiesRepository(AreaRepository):
    async def _rows(self, statement: Any, **values: Any) -> Sequence[Any]:
        result = await self.session.execute(statement, {"org_id": self.org_id, **values})
        return result.mappings().all()

    # Across organizations (only their ids), for the scheduled jobs: no tenant needed.

    async def billing_organizations(self) -> list[UUID]:
        return list((await self.session.execute(_BILLING_ORGANIZATIONS)).scalars())

    async def receivables_organizations(self) -> list[UUID]:
        return list((await self.session.execute(_RECEIVABLES_ORGANIZATIONS)).scalars())

    # Buildings and units.

    async def building_row(
        self, building_id: UUID, *, for_update: bool = False
    ) -> BuildingRow | None:
        statement = select(BuildingRow).where(
            BuildingRow.org_id == self.org_id, BuildingRow.id == building_id
        )
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def add(
        self, row: BuildingRow | UnitRow | LeaseRow | LeaseDocumentRow | PropertyExpenseRow
    ) -> None:
        self.session.add(row)
        await self.session.flush()

    async def flush(self) -> None:
        await self.session.flush()

    async def remove(self, row: BuildingRow | UnitRow | LeaseRow | LeaseDocumentRow) -> None:
        await self.session.delete(row)
        await self.session.flush()

    async def unit_row(self, unit_id: UUID, *, for_update: bool = False) -> UnitRow | None:
        statement = select(UnitRow).where(UnitRow.org_id == self.org_id, UnitRow.id == unit_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def unit_by_number(self, building_id: UUID, number: str) -> UUID | None:
        found: UUID | None = await self.session.scalar(
            select(UnitRow.id).where(
                UnitRow.org_id == self.org_id,
                UnitRow.building_id == building_id,
                UnitRow.number == number,
            )
        )
        return found

    async def lock_unit(self, unit_id: UUID) -> None:
        """Leases of one unit are created and changed one at a time (no overlap slips in)."""
        await self.session.execute(_LOCK_UNIT, {"org_id": self.org_id, "id": unit_id})

    async def building_in_use(self, building_id: UUID) -> bool:
        return bool(
            await self.session.scalar(_BUILDING_IN_USE, {"org_id": self.org_id, "id": building_id})
        )

    async def unit_in_use(self, unit_id: UUID) -> bool:
        return bool(await self.session.scalar(_UNIT_IN_USE, {"org_id": self.org_id, "id": unit_id}))

    # Leases.

    async def lease_row(self, lease_id: UUID) -> LeaseRow | None:
        statement = (
            select(LeaseRow)
            .where(LeaseRow.org_id == self.org_id, LeaseRow.id == lease_id)
            .with_for_update()
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def leases(self, ids: Sequence[UUID]) -> dict[UUID, Lease]:
        rows = await self._rows(_LEASES, ids=list(set(ids)))
        return {r["id"]: lease_of(self.org_id, r) for r in rows}

    async def leases_of_unit(self, unit_id: UUID) -> list[Lease]:
        return [
            lease_of(self.org_id, r) for r in await self._rows(_LEASES_OF_UNIT, unit_id=unit_id)
        ]

    async def replace_parties(self, lease_id: UUID, parties: Sequence[LeaseParty]) -> None:
        await self.session.execute(
            delete(LeasePartyRow).where(
                LeasePartyRow.org_id == self.org_id, LeasePartyRow.lease_id == lease_id
            )
        )
        self.session.add_all(
            LeasePartyRow(
                org_id=self.org_id,
                lease_id=lease_id,
                counterparty_id=p.counterparty_id,
                share=p.share,
                position=i,
            )
            for i, p in enumerate(parties)
        )
        await self.session.flush()

    async def lease_has_charges(self, lease_id: UUID) -> bool:
        return bool(
            await self.session.scalar(_HAS_CHARGES, {"org_id": self.org_id, "id": lease_id})
        )

    async def expense_row(self, expense_id: UUID) -> PropertyExpenseRow | None:
        statement = select(PropertyExpenseRow).where(
            PropertyExpenseRow.org_id == self.org_id, PropertyExpenseRow.id == expense_id
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def document_row(self, document_id: UUID) -> LeaseDocumentRow | None:
        statement = select(LeaseDocumentRow).where(
            LeaseDocumentRow.org_id == self.org_id, LeaseDocumentRow.id == document_id
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    # Billing.

    async def billable(self, through: date, month_end: date) -> list[Billable]:
        rows = await self._rows(_BILLABLE, through=through, month_end=month_end)
        return [Billable(lease_of(self.org_id, r), r["building_id"]) for r in rows]

    async def set_billed_through(self, lease_ids: Sequence[UUID], through: date) -> None:
        if lease_ids:
            await self.session.execute(
                _SET_BILLED, {"org_id": self.org_id, "ids": list(lease_ids), "through": through}
            )

    async def late_rent(self, through: date) -> list[LateRent]:
        rows = await self._rows(_LATE, through=through)
        return [
            LateRent(
                r["id"],
                r["counterparty_id"],
                r["lease_id"],
                Decimal(r["amount"]),
                r["currency"].strip(),
                r["issued_on"],
                r["due_on"],
                r["voided_on"],
                None if r["settled_from"] == OPEN else r["settled_from"],
                dict(r["dimensions"] or {}),
                r["grace_days"],
                LateFeeRule(
                    LateFeeKind(r["late_fee_kind"]),
                    Decimal(r["late_fee_amount"]),
                    LateFeeMode(r["late_fee_mode"]),
                    None if r["late_fee_cap"] is None else Decimal(r["late_fee_cap"]),
                ),
            )
            for r in rows
        ]

    async def allocations_of(self, charge_ids: Sequence[UUID]) -> dict[UUID, list[Allocation]]:
        found: dict[UUID, list[Allocation]] = {}
        if charge_ids:
            for r in await self._rows(_ALLOCATIONS, ids=list(charge_ids)):
                found.setdefault(r["charge_id"], []).append(allocation_of(self.org_id, r))
        return found


def lease_values(lease: Lease) -> dict[str, Any]:
    """The lease row's columns (parties live in their own table)."""
    rule = lease.late_fee
    return {
        "unit_id": lease.unit_id,
        "starts_on": lease.starts_on,
        "ends_on": lease.ends_on,
        "terminated_on": lease.terminated_on,
        "monthly_rent": lease.monthly_rent,
        "currency": lease.currency,
        "deposit": lease.deposit,
        "due_day": lease.due_day,
        "grace_days": lease.grace_days,
        "late_fee_kind": rule.kind.value if rule else None,
        "late_fee_amount": rule.amount if rule else None,
        "late_fee_mode": rule.mode.value if rule else LateFeeMode.ONCE.value,
        "late_fee_cap": rule.cap if rule else None,
    }
