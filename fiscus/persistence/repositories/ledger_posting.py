"""Posting on asyncpg: one call of ``fiscus_ledger_post`` (migration 0005) posts a batch of
entries — tenant context, locks, checks against the chart and the closed period, the
idempotency claims, entries, audit events, lines and summary — in one statement."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from fiscus.domain.ledger import Account, AccountType, JournalEntry
from fiscus.persistence.repositories.base import TenantScoped
from fiscus.persistence.repositories.idempotency import StoredKey
from fiscus.persistence.repositories.ledger import (
    PERIOD_LOCK_SPACE,
    PostingContext,
    account_lock_keys,
)
from fiscus.persistence.statements import note_statement

_POST = "SELECT fiscus_ledger_post($1, $2, $3, $4)"
_LOCK = """
    SELECT pg_advisory_xact_lock_shared($1, $2),
           (SELECT count(pg_advisory_xact_lock($2, k)) FROM unnest($3::integer[]) AS k)"""
_BALANCES = """
    SELECT a.id, d.day, coalesce(sum(s.amount_sum), 0) AS amount
    FROM unnest($2::uuid[]) AS a(id) CROSS JOIN unnest($3::date[]) AS d(day)
    LEFT JOIN ledger_account_days s
      ON s.org_id = $1 AND s.account_id = a.id AND s.day <= d.day
    GROUP BY a.id, d.day"""
KEY_REUSED = "FI409"


class IdempotencyKeyReused(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class EntryToPost:
    """A posted entry to write; a line's currency "" means "the account's"."""

    entry: JournalEntry
    scope: str
    key: str
    fingerprint: str
    response: dict[str, Any]
    event_id: UUID
    action: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PostingOutcome:
    posted: bool
    """False: nothing was written, ``context`` tells why (the caller names the problem)."""
    stored: dict[tuple[str, str], StoredKey]
    """(scope, key) already claimed: what the first request stored."""
    currencies: dict[UUID, str]
    context: PostingContext | None


def posting_payload(items: Sequence[EntryToPost]) -> list[dict[str, Any]]:
    """The function's jsonb argument (the pool's codec encodes it)."""
    return [
        {
            "id": str(item.entry.id),
            "date": item.entry.entry_date.isoformat(),
            "memo": item.entry.memo,
            "reverses": str(item.entry.reverses) if item.entry.reverses else None,
            "scope": item.scope,
            "key": item.key,
            "fingerprint": item.fingerprint,
            "response": item.response,
            "event_id": str(item.event_id),
            "action": item.action,
            "details": item.details,
            "lines": [
                {
                    "account_id": str(line.account_id),
                    "amount": str(line.amount),
                    "currency": line.currency or None,
                    "rate": None if line.rate is None else str(line.rate),
                    "dimensions": dict(line.dimensions),
                    "counterparty": line.counterparty,
                    "memo": line.memo,
                }
                for line in item.entry.lines
            ],
        }
        for item in items
    ]


def _account(org_id: UUID, raw: dict[str, Any]) -> Account:
    return Account(
        UUID(raw["id"]),
        org_id,
        raw["code"],
        raw["name"],
        AccountType(raw["type"]),
        raw["currency"],
        UUID(raw["parent_id"]) if raw["parent_id"] else None,
        raw["archived"],
        dict(raw["tags"] or {}),
    )


def outcome_of(org_id: UUID, raw: Any) -> PostingOutcome:
    """What ``fiscus_ledger_post`` answered (whichever driver ran it)."""
    result: dict[str, Any] = raw if isinstance(raw, dict) else json.loads(raw)
    stored = {
        (s["scope"], s["key"]): StoredKey(s["fingerprint"], s["response"]) for s in result["stored"]
    }
    if result["outcome"] == "posted":
        currencies = {UUID(k): v for k, v in (result["currencies"] or {}).items()}
        return PostingOutcome(True, stored, currencies, None)
    closed = result["closed_through"]
    context = PostingContext(
        {UUID(a["id"]): _account(org_id, a) for a in result["accounts"]},
        date.fromisoformat(closed) if closed else None,
    )
    return PostingOutcome(False, stored, {}, context)


class LedgerPostingRepository(TenantScoped):
    def __init__(
        self, connection: asyncpg.Connection, org_id: UUID | None, user_id: UUID | None
    ) -> None:
        super().__init__(org_id)
        self._connection = connection
        self._user_id = user_id

    async def post(self, items: Sequence[EntryToPost], at: datetime) -> PostingOutcome:
        """All or nothing: raises ``IdempotencyKeyReused`` (nothing written) when a key was
        used with another fingerprint."""
        note_statement(_POST)
        try:
            raw = await self._connection.fetchval(
                _POST, self.org_id, self._user_id, at, posting_payload(items)
            )
        except asyncpg.PostgresError as error:
            if getattr(error, "sqlstate", None) == KEY_REUSED:
                raise IdempotencyKeyReused(str(getattr(error, "detail", "") or "")) from error
            raise
        return outcome_of(self.org_id, raw)

    async def lock(self, account_ids: Sequence[UUID]) -> None:
        """The posting's locks, taken ahead (in a transaction) to read under them."""
        org_key, keys = account_lock_keys(self.org_id, account_ids)
        note_statement(_LOCK)
        await self._connection.execute(_LOCK, PERIOD_LOCK_SPACE, org_key, keys)

    async def balances(
        self, account_ids: Sequence[UUID], days: Sequence[date]
    ) -> dict[tuple[UUID, date], Decimal]:
        """Signed balance of each account at the end of each day, from the summary."""
        note_statement(_BALANCES)
        rows = await self._connection.fetch(
            _BALANCES, self.org_id, list(set(account_ids)), list(set(days))
        )
        return {(r["id"], r["day"]): Decimal(r["amount"]) for r in rows}
