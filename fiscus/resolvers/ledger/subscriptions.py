"""ledgerActivity: entries posted in the caller's organization, pushed after commit."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from uuid import UUID

import strawberry
from strawberry.types import Info

from fiscus.domain.identity import Permission
from fiscus.realtime import channels
from fiscus.schema import ledger as types
from fiscus.schema.permissions import requires


@strawberry.type
class LedgerSubscription:
    @strawberry.subscription(
        description="Every entry posted (or reversal) in the caller's organization, after commit.",
        permission_classes=[requires(Permission.LEDGER_READ)],
    )
    async def ledger_activity(self, info: Info) -> AsyncGenerator[types.JournalEntry, None]:
        principal = await info.context.require_principal()
        channel = channels.ledger_activity(principal.org_id)
        async with info.context.hub.subscribe(channel, replay_snapshot=False) as messages:
            async for envelope in messages:
                info.context.next_event()
                entry = await info.context.loaders.journal_entries.load(
                    UUID(envelope.payload["entry_id"])
                )
                if entry is not None:
                    yield types.JournalEntry.from_domain(entry)
