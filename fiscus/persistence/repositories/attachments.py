"""Attachment writes (units of work), reached lazily as ``uow.attachments``."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import delete, select

from fiscus.persistence.models.attachments import AttachmentRow
from fiscus.persistence.repositories.base import AreaRepository


class AttachmentsRepository(AreaRepository):
    async def add(self, row: AttachmentRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def row(self, attachment_id: UUID) -> AttachmentRow | None:
        return (
            await self.session.execute(
                select(AttachmentRow).where(
                    AttachmentRow.org_id == self.org_id, AttachmentRow.id == attachment_id
                )
            )
        ).scalar_one_or_none()

    async def delete(self, attachment_id: UUID) -> None:
        await self.session.execute(
            delete(AttachmentRow).where(
                AttachmentRow.org_id == self.org_id, AttachmentRow.id == attachment_id
            )
        )
