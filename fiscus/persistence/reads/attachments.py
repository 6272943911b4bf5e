"""Attachment reads (``reads.attachments``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import text

from fiscus.domain.attachments import Attachment
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.repositories import ReadRepository

_COLUMNS = "id, org_id, entry_id, filename, media_type, byte_size, sha256, storage_key, created_at"
_BY_IDS = ReadQuery.of(
    text(f"""SELECT {_COLUMNS} FROM attachments
    WHERE org_id = :org_id AND id = ANY(CAST(:ids AS uuid[]))""")  # noqa: S608
)
_OF_ENTRIES = ReadQuery.of(
    text(f"""SELECT {_COLUMNS} FROM attachments
    WHERE org_id = :org_id AND entry_id = ANY(CAST(:ids AS uuid[]))
    ORDER BY entry_id, created_at, id""")  # noqa: S608
)


def attachment_of(r: Any) -> Attachment:
    return Attachment(
        r["id"],
        r["org_id"],
        r["entry_id"],
        r["filename"],
        r["media_type"],
        r["byte_size"],
        r["sha256"],
        r["storage_key"],
        r["created_at"],
    )


class AttachmentsReads(ReadRepository):
    async def by_ids(self, ids: Sequence[UUID]) -> list[Attachment]:
        rows = await self.fetch(_BY_IDS, org_id=self.org_id, ids=list(ids))
        return [attachment_of(r) for r in rows]

    async def of_entries(self, entry_ids: Sequence[UUID]) -> dict[UUID, list[Attachment]]:
        found: dict[UUID, list[Attachment]] = {i: [] for i in entry_ids}
        for r in await self.fetch(_OF_ENTRIES, org_id=self.org_id, ids=list(entry_ids)):
            found[r["entry_id"]].append(attachment_of(r))
        return found
