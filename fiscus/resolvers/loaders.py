"""DataLoaders, created fresh for every request (and every subscription event)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from strawberry.dataloader import DataLoader

from fiscus.domain.identity import Organization, User
from fiscus.schema.context import Context
from fiscus.services.identity import queries


class Loaders:
    def __init__(self, context: Context) -> None:
        self._context = context
        self.users: DataLoader[UUID, User | None] = DataLoader(self._load_users)
        self.organizations: DataLoader[UUID, Organization | None] = DataLoader(
            self._load_organizations
        )

    def prime_caller(self, user: User, organization: Organization) -> None:
        """The request's authentication read these already (``confirm_caller``)."""
        self.users.prime(user.id, user)
        self.organizations.prime(organization.id, organization)

    async def _load_users(self, ids: Sequence[UUID]) -> list[User | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.users_by_id(self._context.reads, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_organizations(self, ids: Sequence[UUID]) -> list[Organization | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.organizations_by_id(self._context.reads, principal, ids)
        return [found.get(i) for i in ids]
