"""The unit of work: one transaction per use case, tenant context, after-commit effects.

``async with UnitOfWork(...) as uow:`` opens a transaction and sets ``app.org_id`` /
``app.user_id`` for it (``set_config(..., true)``: transaction-local, so a pooled
connection never carries one tenant's context into the next transaction). Leaving the
block without ``await uow.commit()`` rolls back. Events (``uow.publish``) and jobs
(``uow.enqueue``) are buffered and sent only after the commit succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, TypeVar
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from fiscus.persistence.database import Database
from fiscus.persistence.repositories.analytics import AnalyticsRepository
from fiscus.persistence.repositories.attachments import AttachmentsRepository
from fiscus.persistence.repositories.base import AreaRepository
from fiscus.persistence.repositories.budgets import BudgetsRepository, GoalsRepository
from fiscus.persistence.repositories.categorization import CategorizationRepository
from fiscus.persistence.repositories.debts import DebtsRepository
from fiscus.persistence.repositories.idempotency import IdempotencyRepository
from fiscus.persistence.repositories.identity import (
    AuditRepository,
    InvitationRepository,
    MembershipRepository,
    OrganizationRepository,
    PasswordResetRepository,
    PendingSignUpRepository,
    SessionRepository,
    UserRepository,
)
from fiscus.persistence.repositories.imports import ImportsRepository
from fiscus.persistence.repositories.ledger import LedgerRepository
from fiscus.persistence.repositories.marketdata import MarketDataRepository
from fiscus.persistence.repositories.portfolios import PortfolioRepository
from fiscus.persistence.repositories.properties import PropertiesRepository
from fiscus.persistence.repositories.receivables import ReceivablesRepository
from fiscus.persistence.statement_unit import StatementUnit

log = logging.getLogger(__name__)
AreaT = TypeVar("AreaT", bound=AreaRepository)


class EventPublisher(Protocol):
    async def publish(self, channel: Any, payload: dict[str, Any]) -> Any: ...

    async def publish_many(self, events: Sequence[tuple[Any, dict[str, Any]]]) -> Any:
        """``publish`` for each, in order, in one round trip."""


class JobQueue(Protocol):
    async def enqueue_job(self, function: str, *args: Any, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Effects:
    """Where after-commit side effects go. Either may be absent (e.g. in a migration)."""

    publisher: EventPublisher | None = None
    jobs: JobQueue | None = None


@dataclass
class _PendingJob:
    function: str
    job_id: str
    kwargs: dict[str, Any] = field(default_factory=dict)


_SET_CONTEXT = text(
    "SELECT set_config('app.org_id', :org_id, true), set_config('app.user_id', :user_id, true)"
)


class UnitOfWork:
    session: AsyncSession
    users: UserRepository
    organizations: OrganizationRepository
    memberships: MembershipRepository
    invitations: InvitationRepository
    audit: AuditRepository
    sessions: SessionRepository
    password_resets: PasswordResetRepository
    pending_sign_ups: PendingSignUpRepository

    def __init__(
        self,
        db: Database,
        *,
        org_id: UUID | None = None,
        user_id: UUID | None = None,
        effects: Effects | None = None,
    ) -> None:
        self._db = db
        self.org_id = org_id
        self.user_id = user_id
        self._effects = effects or Effects()
        self._events: list[tuple[Any, dict[str, Any]]] = []
        self._jobs: list[_PendingJob] = []
        self._committed = False
        self._areas: dict[str, object] = {}

    @property
    def debts(self) -> DebtsRepository:
        return self._area("debts", DebtsRepository)

    @property
    def budgets(self) -> BudgetsRepository:
        return self._area("budgets", BudgetsRepository)

    @property
    def goals(self) -> GoalsRepository:
        return self._area("goals", GoalsRepository)

    @property
    def attachments(self) -> AttachmentsRepository:
        return self._area("attachments", AttachmentsRepository)

    def _area(self, name: str, cls: type[AreaT]) -> AreaT:
        """An area's repository (``uow.<area>``), created on first use in the current tenant
        context; forgotten when the context changes (``_bind_repositories``)."""
        found = self._areas.get(name)
        if not isinstance(found, cls):
            found = self._areas[name] = cls(self.session, self.org_id)
        return found

    @property
    def marketdata(self) -> MarketDataRepository:
        return self._area("marketdata", MarketDataRepository)

    @property
    def ledger(self) -> LedgerRepository:
        return self._area("ledger", LedgerRepository)

    @property
    def portfolios(self) -> PortfolioRepository:
        return self._area("portfolios", PortfolioRepository)

    @property
    def receivables(self) -> ReceivablesRepository:
        return self._area("receivables", ReceivablesRepository)

    @property
    def properties(self) -> PropertiesRepository:
        return self._area("properties", PropertiesRepository)

    @property
    def analytics(self) -> AnalyticsRepository:
        return self._area("analytics", AnalyticsRepository)

    @property
    def imports(self) -> ImportsRepository:
        return self._area("imports", ImportsRepository)

    @property
    def categorization(self) -> CategorizationRepository:
        return self._area("categorization", CategorizationRepository)

    @property
    def idempotency(self) -> IdempotencyRepository:
        return self._area("idempotency", IdempotencyRepository)

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._db.sessionmaker()
        await self.session.begin()
        await self._apply_context()
        self._bind_repositories()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def set_tenant(self, org_id: UUID | None, user_id: UUID | None = None) -> None:
        """Switch the tenant context inside this transaction (e.g. right after sign-up)."""
        self.org_id = org_id
        if user_id is not None:
            self.user_id = user_id
        await self._apply_context()
        self._bind_repositories()

    def publish(self, channel: Any, payload: dict[str, Any]) -> None:
        self._events.append((channel, payload))

    def enqueue(self, function: str, *, job_id: str, **kwargs: Any) -> None:
        self._jobs.append(_PendingJob(function, job_id, kwargs))

    async def flush(self) -> None:
        await self.session.flush()

    async def commit(self) -> None:
        await self.session.commit()
        self._committed = True
        await self._send_effects()

    async def _apply_context(self) -> None:
        await self.session.execute(
            _SET_CONTEXT,
            {
                "org_id": str(self.org_id) if self.org_id else "",
                "user_id": str(self.user_id) if self.user_id else "",
            },
        )

    def _bind_repositories(self) -> None:
        s, org = self.session, self.org_id
        self.users = UserRepository(s)
        self.organizations = OrganizationRepository(s, org)
        self.memberships = MembershipRepository(s, org)
        self.invitations = InvitationRepository(s, org)
        self.audit = AuditRepository(s, org)
        self.sessions = SessionRepository(s)
        self.password_resets = PasswordResetRepository(s)
        self.pending_sign_ups = PendingSignUpRepository(s)
        self._areas = {}

    async def _send_effects(self) -> None:
        # The commit stands whatever happens here: a lost event is resynchronised from the
        # database by subscribers; a lost job is logged loudly.
        if self._effects.publisher is not None:
            for channel, payload in self._events:
                try:
                    await self._effects.publisher.publish(channel, payload)
                except Exception:
                    log.exception("publish after commit failed", extra={"channel": str(channel)})
        if self._effects.jobs is not None:
            for job in self._jobs:
                try:
                    await self._effects.jobs.enqueue_job(
                        job.function, _job_id=job.job_id, **job.kwargs
                    )
                except Exception:
                    log.exception("enqueue after commit failed", extra={"job": job.function})
        self._events.clear()
        self._jobs.clear()


class UnitOfWorkFactory:
    """What services receive: makes units of work for a tenant, sharing effects."""

    def __init__(self, db: Database, effects: Effects | None = None) -> None:
        self.db = db
        self.effects = effects or Effects()

    def __call__(
        self, *, org_id: UUID | None = None, user_id: UUID | None = None
    ) -> AbstractAsyncContextManager[UnitOfWork]:
        return UnitOfWork(self.db, org_id=org_id, user_id=user_id, effects=self.effects)

    def statements(
        self, *, org_id: UUID | None = None, user_id: UUID | None = None, transaction: bool = False
    ) -> StatementUnit:
        """A unit whose write is one statement on asyncpg (see ``statement_unit``)."""
        if self.db.write_pool is None:
            raise RuntimeError("the write pool is not open (Runtime.open opens it)")
        return StatementUnit(
            self.db.write_pool,
            self.effects,
            org_id=org_id,
            user_id=user_id,
            transaction=transaction,
        )
