"""Receipts: upload (content sniffed, size-limited, linked to one of the organization's
journal entries), short-lived signed download links, deletion.

A link carries the attachment id, the organization and an expiry (``LINK_TTL``), signed
with HMAC-SHA256 under a key derived from the JWT secret (not the exports' key); the
download needs the caller's access token too, and answers "not found" for a forged or
expired link, another organization's caller, or an attachment that is gone. Storage keys
are ``<org id>/<attachment id>`` (server-made), so no client input reaches a path.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from fiscus.config import Settings
from fiscus.domain.attachments import (
    Attachment,
    checked_media_type,
    checked_size,
    clean_filename,
)
from fiscus.domain.errors import NotFound
from fiscus.domain.identity import Permission, Principal
from fiscus.persistence.models.attachments import AttachmentRow
from fiscus.services.identity import audit
from fiscus.services.planning import PlanningContext

LINK_TTL = timedelta(minutes=5)


async def upload(
    ctx: PlanningContext,
    principal: Principal,
    *,
    entry_id: UUID,
    filename: str | None,
    data: bytes,
) -> Attachment:
    checked_size(len(data))
    media_type = checked_media_type(data[:16])
    now = ctx.clock()
    attachment_id = uuid.uuid4()
    key = f"{principal.org_id}/{attachment_id}"
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        if await uow.ledger.entry(entry_id) is None:
            raise NotFound("No such journal entry.", "entryId")
        row = AttachmentRow(
            org_id=principal.org_id,
            id=attachment_id,
            entry_id=entry_id,
            filename=clean_filename(filename),
            media_type=media_type,
            byte_size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            storage_key=key,
            created_by=principal.user_id,
            created_at=now,
        )
        await uow.attachments.add(row)
        await audit.record_by(
            uow,
            principal,
            action="attachment.added",
            subject_type="journal_entry",
            subject_id=entry_id,
            at=now,
            details={"attachment_id": str(attachment_id), "filename": row.filename},
        )
        await ctx.store.put(key, data)  # before commit: a failed write rolls the row back
        await uow.commit()
    return _domain(row)


async def delete(ctx: PlanningContext, principal: Principal, attachment_id: UUID) -> UUID:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await uow.attachments.row(attachment_id)
        if row is None:
            raise NotFound("No such attachment.", "attachmentId")
        await uow.attachments.delete(attachment_id)
        await audit.record_by(
            uow,
            principal,
            action="attachment.deleted",
            subject_type="journal_entry",
            subject_id=row.entry_id,
            at=now,
            details={"attachment_id": str(attachment_id), "filename": row.filename},
        )
        key = row.storage_key
        await uow.commit()
    await ctx.store.delete(key)
    return attachment_id


async def of_entries(
    ctx: PlanningContext, principal: Principal, entry_ids: Sequence[UUID]
) -> dict[UUID, list[Attachment]]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.attachments.of_entries(entry_ids)


async def by_ids(
    ctx: PlanningContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Attachment]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return {a.id: a for a in await reads.attachments.by_ids(ids)}


def _domain(row: AttachmentRow) -> Attachment:
    return Attachment(
        row.id,
        row.org_id,
        row.entry_id,
        row.filename,
        row.media_type,
        row.byte_size,
        row.sha256,
        row.storage_key,
        row.created_at,
    )


# -- signed links ---------------------------------------------------------------------------


def link_key(settings: Settings) -> bytes:
    secret = settings.auth.jwt_secret
    if secret is None:
        raise RuntimeError("attachment links need auth.jwt_secret (with_jwt_secret sets it)")
    return hmac.new(secret.get_secret_value().encode(), b"attachment-link", "sha256").digest()


def _sign(key: bytes, payload: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, payload, "sha256").digest()).decode().rstrip("=")


def create_link(
    key: bytes, principal: Principal, attachment_id: UUID, now: datetime
) -> tuple[str, datetime]:
    expires_at = now + LINK_TTL
    payload = json.dumps(
        {"a": str(attachment_id), "o": str(principal.org_id), "e": expires_at.isoformat()},
        separators=(",", ":"),
    ).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_sign(key, payload)}", expires_at


def claim_link(key: bytes, principal: Principal, token: str, now: datetime) -> UUID:
    body, _, signature = token.partition(".")
    if not body or not signature or len(token) > 1000:
        raise NotFound("No such attachment.")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        if not hmac.compare_digest(_sign(key, payload), signature):
            raise NotFound("No such attachment.")
        values = json.loads(payload)
        attachment_id = UUID(values["a"])
        expires_at = datetime.fromisoformat(values["e"])
    except (ValueError, KeyError, binascii.Error):
        raise NotFound("No such attachment.") from None
    if expires_at <= now or values["o"] != str(principal.org_id):
        raise NotFound("No such attachment.")
    if not principal.can(Permission.LEDGER_READ):
        raise NotFound("No such attachment.")
    return attachment_id


@dataclass(frozen=True, slots=True)
class Download:
    attachment: Attachment
    body: AsyncIterator[bytes]


async def open_download(
    ctx: PlanningContext, principal: Principal, attachment_id: UUID
) -> Download:
    """The organization's row first (RLS and an explicit filter): only then the bytes."""
    found = await by_ids(ctx, principal, [attachment_id])
    attachment = found.get(attachment_id)
    if attachment is None:
        raise NotFound("No such attachment.")
    return Download(attachment, ctx.store.open(attachment.storage_key))
