"""What ledger use cases need, built once per process (``Runtime.open``)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from fiscus.config import Settings
from fiscus.persistence.reads.repositories import Reads
from fiscus.persistence.reads.scope import ReadScopes
from fiscus.persistence.uow import UnitOfWork, UnitOfWorkFactory
from fiscus.services.credentials import utcnow


@dataclass
class LedgerContext:
    settings: Settings
    uow: UnitOfWorkFactory
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

    def sharing(self, reads: ReadScopes) -> LedgerContext:
        """A copy reading through ``reads`` (a request's shared read scope)."""
        return replace(self, reads=reads)
