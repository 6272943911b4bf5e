"""Ledger queries: the chart, one account, entries (connection), balances, assertions."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain import ledger as domain
from fiscus.domain.identity import Permission, Principal
from fiscus.resolvers.ledger import ids
from fiscus.schema import ledger as types
from fiscus.schema.permissions import requires
from fiscus.schema.relay import Connection, build_connection, check_first
from fiscus.services.ledger import queries
from fiscus.services.ledger.queries import EntryFilters

READ = [requires(Permission.LEDGER_READ)]


def _entry_cursor(entry: types.JournalEntry) -> str:
    raw = f"{entry.source.entry_date.isoformat()}|{entry.source.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_entry_cursor(cursor: str | None) -> tuple[date, UUID] | None:
    if cursor is None:
        return None
    try:
        day, _, raw = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return date.fromisoformat(day), UUID(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphQLError(
            "Invalid cursor.", extensions={"code": "BAD_USER_INPUT", "argument": "after"}
        ) from None


async def resolve_ledger_node(
    info: Info, principal: Principal, type_name: str, key: UUID
) -> types.Account | types.JournalEntry | None:
    """``node(id:)`` for Account (``LEDGER_READ``) and JournalEntry (``LEDGER_READ``)."""
    if not principal.can(Permission.LEDGER_READ):
        return None
    if type_name == "Account":
        account = await info.context.loaders.ledger_accounts.load(key)
        return types.Account.from_domain(account) if account else None
    if type_name == "JournalEntry":
        entry = await info.context.loaders.journal_entries.load(key)
        return types.JournalEntry.from_domain(entry) if entry else None
    return None


@strawberry.type
class LedgerQuery:
    @strawberry.field(
        description="The organization's chart of accounts, by code: a flat list whose "
        "`parentId`s form the tree.",
        permission_classes=READ,
    )
    async def accounts(self, info: Info, include_archived: bool = True) -> list[types.Account]:
        principal = await info.context.require_principal()
        found = await queries.accounts(info.context.ledger, principal)
        for account in found:
            info.context.loaders.ledger_accounts.prime(account.id, account)
        return [types.Account.from_domain(a) for a in found if include_archived or not a.archived]

    @strawberry.field(permission_classes=READ)
    async def account(self, info: Info, id: strawberry.ID) -> types.Account | None:
        await info.context.require_principal()
        found = await info.context.loaders.ledger_accounts.load(ids.account_id(id))
        return types.Account.from_domain(found) if found else None

    @strawberry.field(
        description="Entries, newest first; filters combine.", permission_classes=READ
    )
    async def journal_entries(
        self,
        info: Info,
        account_id: strawberry.ID | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        dimension: types.TagInput | None = None,
        text: str | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[types.JournalEntry]:
        principal = await info.context.require_principal()
        size = check_first(first)
        filters = EntryFilters(
            account_id=ids.account_id(account_id) if account_id else None,
            from_day=from_,
            to_day=to,
            dimension=(dimension.key, dimension.value) if dimension else None,
            text=text.strip() if text and text.strip() else None,
            after=_decode_entry_cursor(after),
        )
        found = await queries.entries_page(info.context.ledger, principal, filters, limit=size + 1)
        items = [types.JournalEntry.from_domain(e) for e in found[:size]]
        return build_connection(
            items,
            has_next=len(found) > size,
            had_cursor=after is not None,
            cursor_of=_entry_cursor,
        )

    @strawberry.field(
        description="Opening, movement and closing per account and currency over the "
        "period; with `dimension`, per value of that dimension key.",
        permission_classes=READ,
    )
    async def balances(
        self, info: Info, period: types.PeriodInput, dimension: str | None = None
    ) -> list[types.AccountPeriodBalance]:
        principal = await info.context.require_principal()
        found = await queries.period_balances(
            info.context.ledger, principal, period.from_, period.to, dimension=dimension
        )
        return [types.AccountPeriodBalance.from_domain(b) for b in found]

    @strawberry.field(
        description="Balance assertions the books contradict now (re-evaluated on every read).",
        permission_classes=READ,
    )
    async def failing_assertions(self, info: Info) -> list[types.BalanceAssertion]:
        principal = await info.context.require_principal()
        found = await queries.assertions(info.context.ledger, principal, failing_only=True)
        return [types.BalanceAssertion.from_domain(a) for a in found]

    @strawberry.field(
        description="The last closed day (null: no period closed).", permission_classes=READ
    )
    async def ledger_closed_through(self, info: Info) -> date | None:
        principal = await info.context.require_principal()
        return await queries.closed_through(info.context.ledger, principal)


__all__ = ["LedgerQuery", "domain"]
