"""Posting on asyncpg: one call of ``fiscus_ledger_post`` (migration 0010) posts a batch of
entries — tenant context, locks, checks against the chart and the closed period, the
idempotency claims, entries, audit events, lines and both summaries — in one statement.
Entries and lines travel as typed arrays (asyncpg's binary encoding, nothing to parse)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
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

POSTING_ARRAY_TYPES = (
    "uuid[]", "date[]", "text[]", "uuid[]", "timestamptz[]", "text[]", "text[]", "text[]",
    "uuid[]", "text[]", "jsonb[]", "integer[]", "smallint[]", "uuid[]", "numeric[]", "text[]",
    "numeric[]", "jsonb[]", "text[]", "text[]",
)
"""The types of ``posting_arguments``' arrays, in the function's order (after org, user,
sessions, roles)."""
POST_STATEMENT = "SELECT fiscus_ledger_post(" + ", ".join(f"${n}" for n in range(1, 25)) + ")"
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
    """A posted entry to write; a line's currency "" means "the account's". The key's stored
    response is ``{"entry_id": <entry id>}``."""

    entry: JournalEntry
    scope: str
    key: str
    fingerprint: str
    event_id: UUID
    action: str
    details: dict[str, Any]
    session_id: UUID | None = None
    """The caller's session, confirmed in the posting's transaction (None: confirmed before,
    or no caller session)."""


@dataclass(frozen=True, slots=True)
class PostingOutcome:
    posted: bool
    """False: nothing was written, ``context`` tells why (the caller names the problem)."""
    stored: dict[tuple[str, str], StoredKey]
    """(scope, key) already claimed: what the first request stored."""
    currencies: dict[UUID, str]
    context: PostingContext | None
    refused: dict[UUID, bool] | None = None
    """Sessions the function refused, nothing written: session -> ended (revoked, expired,
    or its user no member any more); not ended: the member's role does not allow it."""


def posting_arguments(items: Sequence[EntryToPost]) -> list[list[Any]]:
    """The function's arrays after (org, user, sessions, roles): entries, then lines."""
    ids: list[Any] = []
    dates: list[Any] = []
    memos: list[Any] = []
    reverses: list[Any] = []
    posted_at: list[Any] = []
    scopes: list[Any] = []
    keys: list[Any] = []
    fingerprints: list[Any] = []
    event_ids: list[Any] = []
    actions: list[Any] = []
    details: list[Any] = []
    line_entries: list[Any] = []
    line_nos: list[Any] = []
    accounts: list[Any] = []
    amounts: list[Any] = []
    currencies: list[Any] = []
    rates: list[Any] = []
    dimensions: list[Any] = []
    counterparties: list[Any] = []
    line_memos: list[Any] = []
    for number, item in enumerate(items, 1):
        entry = item.entry
        ids.append(entry.id)
        dates.append(entry.entry_date)
        memos.append(entry.memo)
        reverses.append(entry.reverses)
        posted_at.append(entry.posted_at)
        scopes.append(item.scope)
        keys.append(item.key)
        fingerprints.append(item.fingerprint)
        event_ids.append(item.event_id)
        actions.append(item.action)
        details.append(item.details)
        for line_no, line in enumerate(entry.lines):
            line_entries.append(number)
            line_nos.append(line_no)
            accounts.append(line.account_id)
            amounts.append(line.amount)
            currencies.append(line.currency or None)
            rates.append(line.rate)
            dimensions.append(dict(line.dimensions) if line.dimensions else None)
            counterparties.append(line.counterparty)
            line_memos.append(line.memo)
    return [
        ids,
        dates,
        memos,
        reverses,
        posted_at,
        scopes,
        keys,
        fingerprints,
        event_ids,
        actions,
        details,
        line_entries,
        line_nos,
        accounts,
        amounts,
        currencies,
        rates,
        dimensions,
        counterparties,
        line_memos,
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


def outcome_of(org_id: UUID, raw: Any, items: Sequence[EntryToPost]) -> PostingOutcome:
    """What ``fiscus_ledger_post`` answered (whichever driver ran it)."""
    result: dict[str, Any] = raw if isinstance(raw, dict) else json.loads(raw)
    if result["outcome"] == "refused":
        member = result["role"] is not None
        refused = {UUID(s["session"]): not (s["live"] and member) for s in result["sessions"]}
        return PostingOutcome(False, {}, {}, None, refused)
    stored = {
        (s["scope"], s["key"]): StoredKey(s["fingerprint"], s["response"])
        for s in result["stored"]
    }
    if result["outcome"] == "posted":
        accounts = (line.account_id for item in items for line in item.entry.lines)
        currencies = dict(zip(accounts, result["currencies"], strict=True))
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

    async def post(
        self, items: Sequence[EntryToPost], *, roles: Sequence[str] = ()
    ) -> PostingOutcome:
        """All or nothing: raises ``IdempotencyKeyReused`` (nothing written) when a key was
        used with another fingerprint. Each entry is posted at its own ``posted_at``; the
        sessions of ``items`` are confirmed live with the user's role among ``roles``."""
        note_statement(POST_STATEMENT)
        sessions = [item.session_id for item in items]
        try:
            raw = await self._connection.fetchval(
                POST_STATEMENT,
                self.org_id,
                self._user_id,
                sessions if any(sessions) else None,
                list(roles),
                *posting_arguments(items),
            )
        except asyncpg.PostgresError as error:
            if getattr(error, "sqlstate", None) == KEY_REUSED:
                raise IdempotencyKeyReused(str(getattr(error, "detail", "") or "")) from error
            raise
        return outcome_of(self.org_id, raw, items)

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
