"""Property-management reads (``reads.properties``): buildings, units, leases and documents
by id and by parent, the inputs of occupancy (units and lease spans), and a building's cash
flow summed from the ledger's lines tagged with the building."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text

from fiscus.domain.properties import Building, Lease, LeaseDocument, Occupied, Unit
from fiscus.domain.receivables import exact
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.repositories import ReadRepository
from fiscus.persistence.repositories.properties import LEASE_COLUMNS, lease_of

_BUILDING = "b.id, b.name, b.address, b.currency, b.details, b.created_at"
_UNIT = "u.id, u.building_id, u.number, u.size, u.bedrooms, u.market_rent, u.created_at"
_BUILDINGS_PAGE = ReadQuery.of(
    text(f"""
    SELECT {_BUILDING} FROM buildings b
    WHERE b.org_id = :org_id AND (:pattern = '' OR b.name ILIKE :pattern)
      AND (b.name, b.id) > (:after_name, :after_id)
    ORDER BY b.name, b.id LIMIT :limit""")  # noqa: S608 -- constant fragments
)
_BUILDINGS_BY_IDS = ReadQuery.of(
    text(f"""
    SELECT {_BUILDING} FROM buildings b
    WHERE b.org_id = :org_id AND b.id = ANY(CAST(:ids AS uuid[]))""")  # noqa: S608
)
_UNITS_OF_BUILDINGS = ReadQuery.of(
    text(f"""
    SELECT {_UNIT} FROM units u
    WHERE u.org_id = :org_id AND u.building_id = ANY(CAST(:ids AS uuid[]))
    ORDER BY u.building_id, u.number""")  # noqa: S608
)
_UNITS_BY_IDS = ReadQuery.of(
    text(f"""
    SELECT {_UNIT} FROM units u
    WHERE u.org_id = :org_id AND u.id = ANY(CAST(:ids AS uuid[]))""")  # noqa: S608
)
_LEASES_OF_UNITS = ReadQuery.of(
    text(f"""
    SELECT {LEASE_COLUMNS} FROM leases l
    WHERE l.org_id = :org_id AND l.unit_id = ANY(CAST(:ids AS uuid[]))
    ORDER BY l.unit_id, l.starts_on DESC""")  # noqa: S608
)
_LEASES_BY_IDS = ReadQuery.of(
    text(f"""
    SELECT {LEASE_COLUMNS} FROM leases l
    WHERE l.org_id = :org_id AND l.id = ANY(CAST(:ids AS uuid[]))""")  # noqa: S608
)
_DOCUMENTS = ReadQuery.of(
    text("""
    SELECT id, lease_id, name, content_type, size_bytes, storage_key, uploaded_at
    FROM lease_documents WHERE org_id = :org_id AND lease_id = ANY(CAST(:ids AS uuid[]))
    ORDER BY lease_id, uploaded_at, id""")
)
_OCCUPANCY_UNITS = ReadQuery.of(
    text("""
    SELECT u.id, u.building_id FROM units u
    WHERE u.org_id = :org_id
      AND (CAST(:building_id AS uuid) IS NULL OR u.building_id = CAST(:building_id AS uuid))""")
)
_OCCUPANCY_SPANS = ReadQuery.of(
    text("""
    SELECT l.unit_id, l.starts_on,
           nullif(least(coalesce(l.ends_on, 'infinity'), coalesce(l.terminated_on, 'infinity')),
                  'infinity') AS last_day
    FROM leases l JOIN units u ON u.org_id = l.org_id AND u.id = l.unit_id
    WHERE l.org_id = :org_id AND l.starts_on <= :to_day
      AND least(coalesce(l.ends_on, 'infinity'), coalesce(l.terminated_on, 'infinity'))
          >= :from_day
      AND (CAST(:building_id AS uuid) IS NULL OR u.building_id = CAST(:building_id AS uuid))""")
)
# Per column (bounds[i] <= day < bounds[i+1]) from the lines tagged with the building:
# rent and fees billed (income), collected (what allocations moved out of tenants' and
# customers' credit accounts, i.e. payments applied to the building's charges, net of voids),
# expenses (expense accounts).
_CASH_FLOW = ReadQuery.of(
    text("""
    SELECT c.col,
      coalesce(-sum(l.amount) FILTER (WHERE a.type = 'income'), 0) AS billed,
      coalesce(sum(l.amount) FILTER (WHERE l.account_id IN (
        SELECT cp.credit_account_id FROM counterparties cp
        WHERE cp.org_id = :org_id AND cp.kind <> 'vendor')), 0) AS collected,
      coalesce(sum(l.amount) FILTER (WHERE a.type = 'expense'), 0) AS expenses
    FROM journal_lines l
    JOIN ledger_accounts a ON a.org_id = l.org_id AND a.id = l.account_id
    JOIN LATERAL (SELECT max(b.i) AS col FROM unnest(CAST(:bounds AS date[]))
                    WITH ORDINALITY AS b(day, i) WHERE b.day <= l.entry_date) c ON true
    WHERE l.org_id = :org_id AND l.entry_date >= :from_day AND l.entry_date <= :to_day
      AND l.dimensions @> CAST(:dimension AS jsonb) AND l.currency = :currency
    GROUP BY c.col ORDER BY c.col""")
)


@dataclass(frozen=True, slots=True)
class CashFlowSums:
    column: int
    billed: Decimal
    collected: Decimal
    expenses: Decimal


class PropertiesReads(ReadRepository):
    def _building(self, r: Any) -> Building:
        return Building(
            r["id"],
            self.org_id,
            r["name"],
            r["currency"].strip(),
            r["address"],
            dict(r["details"] or {}),
            r["created_at"],
        )

    def _unit(self, r: Any) -> Unit:
        return Unit(
            r["id"],
            self.org_id,
            r["building_id"],
            r["number"],
            None if r["size"] is None else Decimal(r["size"]),
            r["bedrooms"],
            None if r["market_rent"] is None else Decimal(r["market_rent"]),
            r["created_at"],
        )

    async def buildings_page(
        self, search: str | None, after: tuple[str, UUID] | None, *, limit: int
    ) -> list[Building]:
        after_name, after_id = after or ("", UUID(int=0))
        pattern = ""
        if search:
            escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
        rows = await self.fetch(
            _BUILDINGS_PAGE,
            org_id=self.org_id,
            pattern=pattern,
            after_name=after_name,
            after_id=after_id,
            limit=limit,
        )
        return [self._building(r) for r in rows]

    async def buildings_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Building]:
        rows = await self.fetch(_BUILDINGS_BY_IDS, org_id=self.org_id, ids=list(ids))
        return {r["id"]: self._building(r) for r in rows}

    async def units_of_buildings(self, ids: Sequence[UUID]) -> dict[UUID, list[Unit]]:
        found: dict[UUID, list[Unit]] = {}
        for r in await self.fetch(_UNITS_OF_BUILDINGS, org_id=self.org_id, ids=list(ids)):
            found.setdefault(r["building_id"], []).append(self._unit(r))
        return found

    async def units_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Unit]:
        rows = await self.fetch(_UNITS_BY_IDS, org_id=self.org_id, ids=list(ids))
        return {r["id"]: self._unit(r) for r in rows}

    async def leases_of_units(self, ids: Sequence[UUID]) -> dict[UUID, list[Lease]]:
        found: dict[UUID, list[Lease]] = {}
        for r in await self.fetch(_LEASES_OF_UNITS, org_id=self.org_id, ids=list(ids)):
            found.setdefault(r["unit_id"], []).append(lease_of(self.org_id, r))
        return found

    async def leases_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Lease]:
        rows = await self.fetch(_LEASES_BY_IDS, org_id=self.org_id, ids=list(ids))
        return {r["id"]: lease_of(self.org_id, r) for r in rows}

    async def documents_of_leases(self, ids: Sequence[UUID]) -> dict[UUID, list[LeaseDocument]]:
        found: dict[UUID, list[LeaseDocument]] = {}
        for r in await self.fetch(_DOCUMENTS, org_id=self.org_id, ids=list(ids)):
            found.setdefault(r["lease_id"], []).append(
                LeaseDocument(
                    r["id"],
                    self.org_id,
                    r["lease_id"],
                    r["name"],
                    r["content_type"],
                    r["size_bytes"],
                    r["storage_key"],
                    r["uploaded_at"],
                )
            )
        return found

    async def occupancy_inputs(
        self, from_day: date, to_day: date, building_id: UUID | None
    ) -> tuple[dict[UUID, UUID], list[Occupied]]:
        units = await self.fetch(_OCCUPANCY_UNITS, org_id=self.org_id, building_id=building_id)
        spans = await self.fetch(
            _OCCUPANCY_SPANS,
            org_id=self.org_id,
            from_day=from_day,
            to_day=to_day,
            building_id=building_id,
        )
        return (
            {r["id"]: r["building_id"] for r in units},
            [Occupied(r["unit_id"], r["starts_on"], r["last_day"]) for r in spans],
        )

    async def cash_flow(
        self,
        building_id: UUID,
        currency: str,
        bounds: Sequence[date],
        from_day: date,
        to_day: date,
    ) -> list[CashFlowSums]:
        """Sums per column: column i covers ``bounds[i-1] <= day < bounds[i]`` (1-based)."""
        rows = await self.fetch(
            _CASH_FLOW,
            org_id=self.org_id,
            bounds=list(bounds),
            from_day=from_day,
            to_day=to_day,
            dimension={"building": str(building_id)},  # the pool encodes jsonb
            currency=currency,
        )
        return [
            CashFlowSums(
                int(r["col"]),
                exact(Decimal(r["billed"])),
                exact(Decimal(r["collected"])),
                exact(Decimal(r["expenses"])),
            )
            for r in rows
        ]
