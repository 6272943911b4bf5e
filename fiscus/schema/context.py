"""The per-request (or per-subscription-event) GraphQL context."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphql import GraphQLError

from fiscus.domain.errors import AuthenticationFailed
from fiscus.domain.identity import Principal
from fiscus.persistence.reads.scope import SharedReadScopes
from fiscus.services.categorization.context import CategorizationContext
from fiscus.services.context import ServiceContext
from fiscus.services.identity.auth import confirm_caller
from fiscus.services.identity.context import IdentityContext
from fiscus.services.imports.context import ImportsContext
from fiscus.services.ledger.context import LedgerContext
from fiscus.services.marketdata.context import MarketDataContext
from fiscus.services.planning import PlanningContext
from fiscus.services.portfolios.context import PortfolioContext

SharedT = TypeVar("SharedT", bound=ServiceContext)


@dataclass
class Context:
    """``identity`` runs use cases (each its own transaction); ``reads`` serves queries and
    DataLoaders, sharing one read transaction per HTTP request once the caller is known."""

    identity: IdentityContext
    marketdata_context: MarketDataContext | None = None
    ledger_context: LedgerContext | None = None
    portfolios_context: PortfolioContext | None = None
    planning_context: PlanningContext | None = None
    imports_context: ImportsContext | None = None
    loaders: Any = None
    make_loaders: Callable[[Context], Any] | None = None
    hub: Any = None
    valuations: Any = None
    """The process's live portfolio valuations (``services.portfolios.live``)."""
    bearer_token: str | None = None
    client_address: str | None = None
    _principal: Principal | None = None
    _auth_error: AuthenticationFailed | None = None
    _resolved: bool = False
    _reads: IdentityContext | None = None
    _read_scope: SharedReadScopes | None = None
    _shared: dict[str, ServiceContext] = field(default_factory=dict)
    """Area contexts reading through ``_read_scope``, by name (``_sharing``)."""
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def for_principal(cls, principal: Principal, **kwargs: Any) -> Context:
        """A context for a connection already authenticated (WebSocket, jobs)."""
        return cls(_principal=principal, _resolved=True, **kwargs)

    def __post_init__(self) -> None:
        if self.loaders is None and self.make_loaders is not None:
            self.loaders = self.make_loaders(self)

    def next_event(self) -> None:
        """A subscription moves on to its next event: DataLoaders start empty again."""
        if self.make_loaders is not None:
            self.loaders = self.make_loaders(self)

    async def after_write(self) -> None:
        """A mutation committed: this request's later reads start a new snapshot (its payload
        shows what it wrote, not the snapshot taken at authentication) and its DataLoaders
        start empty."""
        if self._read_scope is not None:
            await self._read_scope.aclose()
        self.next_event()

    @property
    def reads(self) -> IdentityContext:
        return self._reads or self.identity

    def _sharing(self, name: str, base: SharedT | None) -> SharedT:
        """The process's ``name`` context, reading through this request's shared read
        transaction once the caller is known (as ``reads`` does for identity)."""
        if base is None:
            raise RuntimeError(f"Context built without a {name}_context")
        if self._read_scope is None:
            return base
        found = self._shared.get(name)
        if not isinstance(found, type(base)):
            found = self._shared[name] = base.sharing(self._read_scope)
        return found

    @property
    def marketdata(self) -> MarketDataContext:
        return self._sharing("marketdata", self.marketdata_context)

    @property
    def ledger(self) -> LedgerContext:
        return self._sharing("ledger", self.ledger_context)

    @property
    def portfolios(self) -> PortfolioContext:
        return self._sharing("portfolios", self.portfolios_context)

    @property
    def planning(self) -> PlanningContext:
        """Debts, budgets, goals, income/expenses and receipts."""
        return self._sharing("planning", self.planning_context)

    @property
    def imports(self) -> ImportsContext:
        return self._sharing("imports", self.imports_context)

    @property
    def categorization(self) -> CategorizationContext:
        return self.imports.categorization

    async def principal(self) -> Principal | None:
        """The authenticated caller, checked against the database once per request."""
        async with self._lock:
            if not self._resolved:
                self._resolved = True
                if self.bearer_token:
                    try:
                        self._principal = await self._authenticate(self.bearer_token)
                    except AuthenticationFailed as failure:
                        self._auth_error = failure
        return self._principal

    async def require_principal(self) -> Principal:
        principal = await self.principal()
        if principal is None:
            raise self._unauthenticated()
        return principal

    def claimed_principal(self) -> Principal:
        """The caller as the access token claims it: signature and expiry checked, the
        session and the role NOT yet confirmed in the database (``require_principal`` does,
        or a write that confirms them in its own transaction). The confirmed caller when
        there already is one."""
        if self._resolved or not self.bearer_token:
            if self._principal is None:
                raise self._unauthenticated()
            return self._principal
        try:
            return self.identity.tokens.decode(self.bearer_token)
        except AuthenticationFailed as failure:
            self._auth_error = failure
            raise self._unauthenticated() from None

    @property
    def confirmed(self) -> bool:
        """Whether the caller was confirmed in the database during this request."""
        return self._principal is not None

    def _unauthenticated(self) -> GraphQLError:
        message = self._auth_error.message if self._auth_error else "Authentication required."
        return GraphQLError(message, extensions={"code": "UNAUTHENTICATED"})

    async def aclose(self) -> None:
        if self._read_scope is not None:
            await self._read_scope.aclose()

    async def _authenticate(self, token: str) -> Principal:
        claimed = self.identity.tokens.decode(token)
        self._reads, self._read_scope = self.identity.reading_as(
            org_id=claimed.org_id, user_id=claimed.user_id
        )
        caller = await confirm_caller(self._reads, claimed)
        prime = getattr(self.loaders, "prime_caller", None)
        if prime is not None:
            prime(caller.user, caller.organization)
        return caller.principal
