"""DataLoaders, created fresh for every request (and every subscription event)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from uuid import UUID

from strawberry.dataloader import DataLoader

from fiscus.domain.identity import Organization, Principal, User
from fiscus.services.identity import queries
from fiscus.services.identity.context import IdentityContext


class Loaders:
    def __init__(
        self, identity: IdentityContext, principal: Callable[[], Awaitable[Principal | None]]
    ) -> None:
        self._identity = identity
        self._principal = principal
        self.users: DataLoader[UUID, User | None] = DataLoader(self._load_users)
        self.organizations: DataLoader[UUID, Organization | None] = DataLoader(
            self._load_organizations
        )

    async def _load_users(self, ids: Sequence[UUID]) -> list[User | None]:
        principal = await self._principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.users_by_id(self._identity, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_organizations(self, ids: Sequence[UUID]) -> list[Organization | None]:
        principal = await self._principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.organizations_by_id(self._identity, principal, ids)
        return [found.get(i) for i in ids]
