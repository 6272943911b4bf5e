"""What identity use cases need, built once per process and shared by API and workers."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from uuid import UUID

from fiscus.config import Settings
from fiscus.persistence.uow import RequestReads, UnitOfWork, UnitOfWorkFactory
from fiscus.services.credentials import AccessTokens, PasswordHasher
from fiscus.services.throttling import Throttle


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class IdentityContext:
    settings: Settings
    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    tokens: AccessTokens
    throttle: Throttle
    clock: Callable[[], datetime] = field(default=utcnow)

    def unit(
        self, org_id: UUID | None = None, user_id: UUID | None = None
    ) -> AbstractAsyncContextManager[UnitOfWork]:
        return self.uow(org_id=org_id, user_id=user_id)

    def reading_as(self, *, org_id: UUID, user_id: UUID) -> tuple[IdentityContext, RequestReads]:
        """A copy whose reads in that tenant context share one transaction (see
        ``RequestReads``); the caller closes the returned reads."""
        reads = RequestReads(self.uow, org_id=org_id, user_id=user_id)
        return replace(self, uow=reads), reads
