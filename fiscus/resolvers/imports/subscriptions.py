"""importProgress: one import's progress, from its current state to its end. The channel is
the caller's organization's, so another organization's import id hears nothing, and the
import is looked up in the caller's organization first (unknown: an error, no stream)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain.identity import Permission
from fiscus.domain.imports.records import BankImport, ImportStatus
from fiscus.realtime import channels
from fiscus.resolvers.imports import ids
from fiscus.schema.imports import ImportProgress
from fiscus.schema.permissions import requires
from fiscus.services.imports import queries
from fiscus.services.imports.running import progress_payload


def _state(item: BankImport) -> ImportProgress:
    return ImportProgress.from_payload(
        progress_payload(
            item.id,
            item.status,
            rows=item.rows,
            processed=item.created + item.duplicates,
            created=item.created,
            duplicates=item.duplicates,
            skipped=item.skipped,
            failed=item.failed,
        )
    )


@strawberry.type
class ImportsSubscription:
    @strawberry.subscription(
        description="An import's progress: its current state at once, then every step until "
        "it is DONE or FAILED (then the stream completes).",
        permission_classes=[requires(Permission.LEDGER_READ)],
    )
    async def import_progress(
        self, info: Info, import_id: strawberry.ID
    ) -> AsyncGenerator[ImportProgress, None]:
        principal = await info.context.require_principal()
        key = ids.of(import_id, "BankImport", "importId")
        channel = channels.import_progress(principal.org_id, key)
        async with info.context.hub.subscribe(channel) as messages:
            found = (await queries.imports_by_ids(info.context.imports, principal, [key])).get(key)
            if found is None:
                raise GraphQLError(
                    "No such import.", extensions={"code": "NOT_FOUND", "argument": "importId"}
                )
            yield _state(found)
            if found.status.finished:
                return
            async for envelope in messages:
                info.context.next_event()
                progress = ImportProgress.from_payload(envelope.payload)
                yield progress
                if progress.status in (ImportStatus.DONE, ImportStatus.FAILED):
                    return
