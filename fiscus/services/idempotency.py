"""Idempotency for any entry-creating use case.

``await once(uow, scope, key, request, result)`` claims ``(org, scope, key)`` inside the
use case's own transaction, storing the request's fingerprint and the result the use case
is about to commit (e.g. the id it generated). It answers None when the key is new: carry
on, and the claim commits (or rolls back) with the use case. When the key was used before
with the same request it answers the stored result (do not do the work again); with a
different request it raises ``IDEMPOTENCY_KEY_REUSED``. A concurrent duplicate waits on
the claim until the first transaction ends, so duplicates resolve to one result. Keys are
kept at least 24 hours (``purge_expired``, from the hourly maintenance cron).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from fiscus.domain.errors import Conflict, FieldIssue, ValidationFailed
from fiscus.persistence.uow import UnitOfWork

RETENTION = timedelta(hours=24)
MAX_KEY = 200


def check_key(key: str, *, field_name: str = "idempotencyKey") -> str:
    candidate = key.strip()
    if not candidate:
        raise ValidationFailed(
            [FieldIssue(field_name, "REQUIRED", "An idempotency key is required.")]
        )
    if len(candidate) > MAX_KEY:
        raise ValidationFailed(
            [FieldIssue(field_name, "TOO_LONG", f"At most {MAX_KEY} characters.")]
        )
    return candidate


def fingerprint(request: Mapping[str, Any]) -> str:
    """SHA-256 of the request's canonical JSON (keys sorted, Decimals and dates as text)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def once(
    uow: UnitOfWork,
    *,
    scope: str,
    key: str,
    request: Mapping[str, Any],
    result: dict[str, Any],
    at: datetime,
) -> dict[str, Any] | None:
    stored = await uow.idempotency.claim(scope, key, fingerprint(request), result, at)
    if stored is None:
        return None
    if stored.fingerprint != fingerprint(request):
        raise Conflict(
            "IDEMPOTENCY_KEY_REUSED",
            "This idempotency key was already used with a different request.",
            "idempotencyKey",
        )
    return dict(stored.response or {})


async def purge_expired(uow: UnitOfWork, now: datetime) -> int:
    return await uow.idempotency.purge_expired_everywhere(now - RETENTION)
