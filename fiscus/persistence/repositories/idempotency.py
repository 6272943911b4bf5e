"""Idempotency keys (generic, any area): claim a key with the request's fingerprint and the
result, in the caller's transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text

from fiscus.persistence.repositories.base import AreaRepository

# A second claim of a key another open transaction holds waits here for that transaction:
# it then sees the committed row (and answers with it) or claims the key itself.
_CLAIM = text("""
    INSERT INTO idempotency_keys (org_id, scope, key, request_fingerprint, response, created_at)
    VALUES (:org_id, :scope, :key, :fingerprint, CAST(:response AS jsonb), :at)
    ON CONFLICT (org_id, scope, key) DO NOTHING
    RETURNING 1""")
_STORED = text("""
    SELECT request_fingerprint, response FROM idempotency_keys
    WHERE org_id = :org_id AND scope = :scope AND key = :key""")
_PURGE = text("SELECT fiscus_purge_idempotency_keys(:before)")


@dataclass(frozen=True, slots=True)
class StoredKey:
    fingerprint: str
    response: dict[str, Any] | None


class IdempotencyRepository(AreaRepository):
    async def claim(
        self, scope: str, key: str, fingerprint: str, response: dict[str, Any], at: datetime
    ) -> StoredKey | None:
        """None: claimed (the row commits with the caller's transaction). Otherwise the key
        was already used: what the first request stored."""
        values = {"org_id": self.org_id, "scope": scope, "key": key}
        claimed = await self.session.scalar(
            _CLAIM,
            {**values, "fingerprint": fingerprint, "response": json.dumps(response), "at": at},
        )
        if claimed:
            return None
        row = (await self.session.execute(_STORED, values)).first()
        if row is None:  # the holder rolled back between the two statements: claim again
            return await self.claim(scope, key, fingerprint, response, at)
        return StoredKey(row[0], row[1])

    async def purge_expired_everywhere(self, before: datetime) -> int:
        """Every organization's keys older than ``before`` (never younger than 24 hours)."""
        return int(await self.session.scalar(_PURGE, {"before": before}) or 0)
