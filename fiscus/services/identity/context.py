"""What identity use cases need, built once per process and shared by API and workers."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from fiscus.config import Settings
from fiscus.persistence.reads.repositories import Reads
from fiscus.persistence.reads.scope import ReadScopes, SharedReadScopes
from fiscus.persistence.uow import UnitOfWork, UnitOfWorkFactory
from fiscus.services.credentials import AccessTokens, PasswordHasher, utcnow
from fiscus.services.throttling import Throttle


@dataclass
class IdentityContext:
    settings: Settings
    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    tokens: AccessTokens
    throttle: Throttle
    reads: ReadScopes
    clock: Callable[[], datetime] = field(default=utcnow)

    def unit(
        self, org_id: UUID | None = None, user_id: UUID | None = None
    ) -> AbstractAsyncContextManager[UnitOfWork]:
        return self.uow(org_id=org_id, user_id=user_id)

    def reading(
        self, org_id: UUID | None = None, user_id: UUID | None = None
    ) -> AbstractAsyncContextManager[Reads]:
        """A read-only transaction in that tenant context (shared within a request)."""
        return self.reads(org_id=org_id, user_id=user_id)

    def reading_as(
        self, *, org_id: UUID, user_id: UUID
    ) -> tuple[IdentityContext, SharedReadScopes]:
        """A copy whose reads in that tenant context share one transaction (see
        ``SharedReadScopes``); the caller closes the returned scopes."""
        shared = self.reads.shared(org_id=org_id, user_id=user_id)
        return replace(self, reads=shared), shared
