"""Passwords (argon2id) and tokens (JWT access tokens, opaque refresh/reset/invite tokens)."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fiscus.config import AuthSettings
from fiscus.domain.errors import AuthenticationFailed
from fiscus.domain.identity import Principal, Role

ALGORITHM = "HS256"
ACCESS = "access"

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class PasswordHasher:
    """argon2id. Hashing runs in a thread: it is deliberately slow and must not block the
    event loop."""

    def __init__(self) -> None:
        self._hasher = Argon2Hasher(type=Type.ID)
        # Verified against when the email is unknown, so both failures cost the same.
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash or self._decoy, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def new_secret_token(prefix: str = "") -> tuple[str, bytes]:
    """A random token for a client and the SHA-256 digest we store in its place."""
    token = prefix + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class IssuedAccessToken:
    token: str
    expires_at: datetime


VERIFIED_TOKENS_KEPT = 4096


class AccessTokens:
    """Issues and decodes access tokens.

    A client sends the same token with every request until it expires, so what verifying a
    token string establishes (signature, algorithm, issuer, audience, claims, type) is kept
    for that exact string in a bounded LRU. The time checks (exp, iat, nbf) are made at
    every use against ``clock``, cached or not: the check is the same, only the repeated
    HMAC and JSON work is saved.
    """

    def __init__(self, settings: AuthSettings, clock: Clock = utcnow) -> None:
        if settings.jwt_secret is None:
            raise ValueError("auth.jwt_secret is not set (see fiscus.config.with_jwt_secret)")
        self._settings = settings
        self._key = settings.jwt_secret.get_secret_value()
        self._clock = clock
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def issue(
        self,
        *,
        user_id: uuid.UUID,
        org_id: uuid.UUID,
        role: Role,
        session_id: uuid.UUID,
        now: datetime | None = None,
    ) -> IssuedAccessToken:
        issued = now or self._clock()
        expires = issued + timedelta(seconds=self._settings.access_token_ttl_seconds)
        claims = {
            "iss": self._settings.jwt_issuer,
            "aud": self._settings.jwt_audience,
            "sub": str(user_id),
            "org": str(org_id),
            "role": role.value,
            "sid": str(session_id),
            "typ": ACCESS,
            "jti": uuid.uuid4().hex,
            "iat": int(issued.timestamp()),
            "exp": int(expires.timestamp()),
        }
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"typ": "JWT"})
        return IssuedAccessToken(token, expires.replace(microsecond=0))

    def decode(self, token: str) -> Principal:
        """Pins the algorithm; requires and checks iss, aud, exp, sub and token type.
        exp, iat and nbf are judged by the injected clock, not pyjwt's own."""
        entry = self._verified.get(token)
        if entry is None:
            entry = self._verify(token)
            self._verified[token] = entry
            if len(self._verified) > VERIFIED_TOKENS_KEPT:
                self._verified.popitem(last=False)
        else:
            self._verified.move_to_end(token)
        principal, valid_from = entry
        now = self._clock().timestamp()
        if principal.expires_at.timestamp() <= now:
            raise AuthenticationFailed("TOKEN_EXPIRED", "The access token has expired.")
        if valid_from > now:
            raise AuthenticationFailed("TOKEN_INVALID", "The access token is invalid.")
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        """Everything about the token that does not depend on the time; returns the
        principal and the instant from which it is valid (iat, or nbf if later)."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                options={
                    "require": ["exp", "iat", "iss", "aud", "sub", "jti"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
            issued = int(claims["iat"])
            valid_from = float(max(issued, int(claims.get("nbf", issued))))
        except (jwt.PyJWTError, TypeError, ValueError) as exc:
            raise AuthenticationFailed("TOKEN_INVALID", "The access token is invalid.") from exc
        if claims.get("typ") != ACCESS:
            raise AuthenticationFailed("TOKEN_INVALID", "The access token is invalid.")
        try:
            principal = Principal(
                user_id=uuid.UUID(claims["sub"]),
                org_id=uuid.UUID(claims["org"]),
                role=Role(claims["role"]),
                session_id=uuid.UUID(claims["sid"]),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise AuthenticationFailed("TOKEN_INVALID", "The access token is invalid.") from exc
        return principal, valid_from
