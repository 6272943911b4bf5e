"""The property DataLoaders of one request (``loaders.properties``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from strawberry.dataloader import DataLoader

from fiscus.domain.properties import Building, Lease, LeaseDocument, Unit
from fiscus.services.properties import queries


class PropertiesLoaders:
    def __init__(self, context: Any) -> None:
        self._context = context
        self.buildings: DataLoader[UUID, Building | None] = DataLoader(self._buildings)
        self.units: DataLoader[UUID, Unit | None] = DataLoader(self._units)
        self.leases: DataLoader[UUID, Lease | None] = DataLoader(self._leases)
        self.units_of_buildings: DataLoader[UUID, list[Unit]] = DataLoader(self._units_of)
        self.leases_of_units: DataLoader[UUID, list[Lease]] = DataLoader(self._leases_of)
        self.documents: DataLoader[UUID, list[LeaseDocument]] = DataLoader(self._documents)

    async def _buildings(self, ids: Sequence[UUID]) -> list[Building | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.buildings_by_ids(self._context.ledger, principal, ids)
        return [found.get(i) for i in ids]

    async def _units(self, ids: Sequence[UUID]) -> list[Unit | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.units_by_ids(self._context.ledger, principal, ids)
        return [found.get(i) for i in ids]

    async def _leases(self, ids: Sequence[UUID]) -> list[Lease | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.leases_by_ids(self._context.ledger, principal, ids)
        return [found.get(i) for i in ids]

    async def _units_of(self, ids: Sequence[UUID]) -> list[list[Unit]]:
        principal = await self._context.principal()
        if principal is None:
            return [[] for _ in ids]
        found = await queries.units_of_buildings(self._context.ledger, principal, ids)
        return [found.get(i, []) for i in ids]

    async def _leases_of(self, ids: Sequence[UUID]) -> list[list[Lease]]:
        principal = await self._context.principal()
        if principal is None:
            return [[] for _ in ids]
        found = await queries.leases_of_units(self._context.ledger, principal, ids)
        return [found.get(i, []) for i in ids]

    async def _documents(self, ids: Sequence[UUID]) -> list[list[LeaseDocument]]:
        principal = await self._context.principal()
        if principal is None:
            return [[] for _ in ids]
        found = await queries.documents_of_leases(self._context.ledger, principal, ids)
        return [found.get(i, []) for i in ids]
