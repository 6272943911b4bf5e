"""The per-request (or per-subscription-event) GraphQL context."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError

from fiscus.domain.errors import AuthenticationFailed
from fiscus.domain.identity import Principal
from fiscus.services.identity.auth import authenticate
from fiscus.services.identity.context import IdentityContext


@dataclass
class Context:
    identity: IdentityContext
    loaders: Any
    hub: Any = None
    bearer_token: str | None = None
    client_address: str | None = None
    _principal: Principal | None = None
    _auth_error: AuthenticationFailed | None = None
    _resolved: bool = False
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def for_principal(cls, principal: Principal, **kwargs: Any) -> Context:
        """A context for a connection already authenticated (WebSocket, jobs)."""
        return cls(_principal=principal, _resolved=True, **kwargs)

    async def principal(self) -> Principal | None:
        """The authenticated caller, checked against the database once per request."""
        async with self._lock:
            if not self._resolved:
                self._resolved = True
                if self.bearer_token:
                    try:
                        self._principal = await authenticate(self.identity, self.bearer_token)
                    except AuthenticationFailed as failure:
                        self._auth_error = failure
        return self._principal

    async def require_principal(self) -> Principal:
        principal = await self.principal()
        if principal is None:
            message = self._auth_error.message if self._auth_error else "Authentication required."
            raise GraphQLError(message, extensions={"code": "UNAUTHENTICATED"})
        return principal
