"""Files sent with a GraphQL multipart request (the ``Upload`` scalar): the HTTP transport
puts an ``UploadedFile`` where the request's ``map`` says; anything else in an ``Upload``
variable (a string sent as JSON, over a WebSocket) is not a file."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.file_uploads import Upload

__all__ = ["Upload", "UploadedFile"]


@dataclass(frozen=True, slots=True)
class UploadedFile:
    filename: str | None
    content_type: str | None
    data: bytes
