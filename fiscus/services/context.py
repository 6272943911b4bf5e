"""What every area's use cases need, built once per process (``Runtime.open``) and shared
by the API, the workers and the streamer: settings, units of work (writes), read scopes
(the read path) and the clock. Each area's context adds its own collaborators."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Self
from uuid import UUID

from fiscus.config import Settings
from fiscus.persistence.reads.repositories import Reads
from fiscus.persistence.reads.scope import ReadScopes, SharedReadScopes
from fiscus.persistence.uow import UnitOfWork, UnitOfWorkFactory
from fiscus.services.credentials import utcnow


@dataclass(kw_only=True)
class ServiceContext:
    settings: Settings
    uow: UnitOfWorkFactory
    reads: ReadScopes
    clock: Callable[[], datetime] = utcnow

    def unit(
        self, org_id: UUID | None = None, user_id: UUID | None = None
    ) -> AbstractAsyncContextManager[UnitOfWork]:
        return self.uow(org_id=org_id, user_id=user_id)

    def reading(
        self, org_id: UUID | None = None, user_id: UUID | None = None
    ) -> AbstractAsyncContextManager[Reads]:
        """A read-only transaction in that tenant context (shared within a request)."""
        return self.reads(org_id=org_id, user_id=user_id)

    def sharing(self, reads: ReadScopes) -> Self:
        """A copy reading through ``reads`` (a request's shared read scope)."""
        return replace(self, reads=reads)

    def reading_as(self, *, org_id: UUID, user_id: UUID) -> tuple[Self, SharedReadScopes]:
        """A copy whose reads in that tenant context share one transaction (see
        ``SharedReadScopes``); the caller closes the returned scopes."""
        shared = self.reads.shared(org_id=org_id, user_id=user_id)
        return self.sharing(shared), shared
