"""What market-data use cases need, built once per process (``Runtime.open``) and shared by
the API, the workers and the streamer."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from fiscus.config import Settings
from fiscus.marketdata.providers.base import MarketDataProvider
from fiscus.persistence.reads.repositories import Reads
from fiscus.persistence.reads.scope import ReadScopes, SharedReadScopes
from fiscus.persistence.uow import UnitOfWork, UnitOfWorkFactory
from fiscus.realtime.broker import Broker
from fiscus.services.credentials import utcnow


@dataclass
class MarketDataContext:
    settings: Settings
    uow: UnitOfWorkFactory
    reads: ReadScopes
    clock: Callable[[], datetime] = field(default=utcnow)
    broker: Broker | None = None
    """Where the streamer publishes ticks; its snapshots are the latest-price cache."""
    provider: MarketDataProvider | None = None
    """Resolves symbols nobody stored yet (``trackInstrument``). None: an unknown symbol is
    NOT_FOUND. The provider registry (with fallback and guards) is plugged in here."""

    def unit(
        self, org_id: UUID | None = None, user_id: UUID | None = None
    ) -> AbstractAsyncContextManager[UnitOfWork]:
        return self.uow(org_id=org_id, user_id=user_id)

    def reading(
        self, org_id: UUID | None = None, user_id: UUID | None = None
    ) -> AbstractAsyncContextManager[Reads]:
        """A read-only transaction in that tenant context (shared within a request)."""
        return self.reads(org_id=org_id, user_id=user_id)

    def sharing(self, reads: ReadScopes) -> MarketDataContext:
        """A copy reading through ``reads`` (a request's shared read scope)."""
        return replace(self, reads=reads)

    def reading_as(
        self, *, org_id: UUID, user_id: UUID
    ) -> tuple[MarketDataContext, SharedReadScopes]:
        shared = self.reads.shared(org_id=org_id, user_id=user_id)
        return replace(self, reads=shared), shared
