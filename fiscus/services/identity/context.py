"""What identity use cases need, built once per process and shared by API and workers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fiscus.config import Settings
from fiscus.persistence.uow import UnitOfWork, UnitOfWorkFactory
from fiscus.services.credentials import AccessTokens, PasswordHasher
from fiscus.services.throttling import LoginThrottle


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class IdentityContext:
    settings: Settings
    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    tokens: AccessTokens
    throttle: LoginThrottle
    clock: Callable[[], datetime] = field(default=utcnow)

    def unit(self, org_id: object = None, user_id: object = None) -> UnitOfWork:
        return self.uow(org_id=org_id, user_id=user_id)  # type: ignore[arg-type]
