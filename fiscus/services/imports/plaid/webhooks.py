"""Plaid webhook signatures: the ``Plaid-Verification`` header is a JWT (ES256) whose
``request_body_sha256`` claim is the body's SHA-256, signed by a key Plaid serves at
/webhook_verification_key/get (fetched by ``kid``, kept while it has not expired). A
webhook is accepted only if the header names ES256, the signature verifies, it was issued at
most ``max_age`` seconds ago, and the body hashes to the claim (compared in constant time)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt

from fiscus.services.imports.plaid.client import PlaidError

KeyFetcher = Callable[[str], Awaitable[dict[str, Any]]]
KEYS_KEPT = 20


class WebhookRefused(Exception):
    pass


class VerificationKeys:
    """Plaid's keys by ``kid`` (a handful at most), refetched once expired."""

    def __init__(self, fetch: KeyFetcher) -> None:
        self._fetch = fetch
        self._keys: dict[str, dict[str, Any]] = {}

    async def get(self, kid: str) -> dict[str, Any]:
        found = self._keys.get(kid)
        if found is None:
            try:
                found = await self._fetch(kid)
            except PlaidError as error:
                raise WebhookRefused(f"no verification key {kid!r}: {error.message}") from None
            if len(self._keys) >= KEYS_KEPT:
                self._keys.clear()
            self._keys[kid] = found
        expired = found.get("expired_at")
        if expired is not None and float(expired) <= time.time():
            self._keys.pop(kid, None)
            raise WebhookRefused("the verification key has expired")
        return found


async def verify(
    body: bytes, header: str | None, keys: VerificationKeys, *, max_age: int, now: float
) -> dict[str, Any]:
    """The webhook's JSON body once its signature holds; ``WebhookRefused`` otherwise."""
    if not header:
        raise WebhookRefused("no Plaid-Verification header")
    try:
        unverified = jwt.get_unverified_header(header)
    except jwt.PyJWTError:
        raise WebhookRefused("the Plaid-Verification header is not a JWT") from None
    if unverified.get("alg") != "ES256" or not unverified.get("kid"):
        raise WebhookRefused("the webhook must be signed with ES256 and name its key")
    jwk = await keys.get(str(unverified["kid"]))
    try:
        key = jwt.PyJWK(jwk, algorithm="ES256").key
        claims = jwt.decode(header, key=key, algorithms=["ES256"], options={"verify_iat": False})
    except jwt.PyJWTError as error:
        raise WebhookRefused(f"the signature does not verify: {error}") from None
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or now - float(issued) > max_age:
        raise WebhookRefused("the webhook is too old")
    claimed = str(claims.get("request_body_sha256") or "")
    if not hmac.compare_digest(claimed, hashlib.sha256(body).hexdigest()):
        raise WebhookRefused("the body does not match its signature")
    try:
        payload: dict[str, Any] = json.loads(body)
    except ValueError:
        raise WebhookRefused("the body is not JSON") from None
    return payload
