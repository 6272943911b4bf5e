"""Attachments (receipts) of journal entries: what a file is is sniffed from its first
bytes, never trusted from its name or the client's declared type."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from fiscus.domain.errors import FieldIssue, ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
MAX_FILENAME = 200
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


@dataclass(frozen=True, slots=True)
class Attachment:
    id: UUID
    org_id: UUID
    entry_id: UUID
    filename: str
    media_type: str
    byte_size: int
    sha256: str
    storage_key: str
    created_at: datetime | None = None


def sniff(head: bytes) -> str | None:
    """The media type the bytes themselves announce (PDF, PNG, JPEG, GIF, WebP), or None."""
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def checked_media_type(head: bytes) -> str:
    found = sniff(head)
    if found is None:
        raise ValidationFailed(
            [
                FieldIssue(
                    "file",
                    "UNSUPPORTED_MEDIA_TYPE",
                    "Only PDF, PNG, JPEG, GIF and WebP files (judged by their content).",
                )
            ]
        )
    return found


def checked_size(size: int) -> int:
    if size <= 0:
        raise ValidationFailed([FieldIssue("file", "REQUIRED", "The file is empty.")])
    if size > MAX_BYTES:
        raise ValidationFailed(
            [FieldIssue("file", "TOO_LARGE", f"At most {MAX_BYTES // (1024 * 1024)} MiB.")]
        )
    return size


def clean_filename(name: str | None) -> str:
    """A display name only (storage keys never derive from it)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip(" .") or "attachment"
    return cleaned[:MAX_FILENAME]
