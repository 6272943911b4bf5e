"""What identity use cases need, built once per process and shared by API and workers."""

from __future__ import annotations

from dataclasses import dataclass

from fiscus.services.context import ServiceContext
from fiscus.services.credentials import AccessTokens, PasswordHasher
from fiscus.services.throttling import Throttle


@dataclass(kw_only=True)
class IdentityContext(ServiceContext):
    hasher: PasswordHasher
    tokens: AccessTokens
    throttle: Throttle
