"""Receipts over REST (GraphQL carries no file bodies here):

- ``POST /attachments?entryId=<JournalEntry id>&filename=<name>``: the body is the file's
  bytes. Needs ``Authorization: Bearer <access token>`` (``ledger:write``) and the header
  ``X-Fiscus-Upload: 1``: a browser cannot send a custom header cross-site without a CORS
  preflight this server never grants, so no other site can make a user's browser upload.
  The type is sniffed from the content (PDF, PNG, JPEG, GIF, WebP); the declared
  ``Content-Type`` and the name are not trusted. Answers 201 with the attachment as JSON,
  or 400/401/403/404/413/415 with ``{code, field, message}``.
- ``GET /attachments/{token}``: the file behind a short-lived signed link (the
  ``Attachment.downloadUrl`` field), with the caller's access token; 404 otherwise.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from fiscus.domain.attachments import MAX_BYTES
from fiscus.domain.errors import AuthenticationFailed, DomainError, NotFound, ValidationFailed
from fiscus.domain.identity import Permission
from fiscus.schema.relay import parse_global_id, to_global_id
from fiscus.services.attachments import files
from fiscus.services.identity.auth import authenticate

UPLOAD_HEADER = "x-fiscus-upload"
_STATUS = {"TOO_LARGE": 413, "UNSUPPORTED_MEDIA_TYPE": 415, "NOT_FOUND": 404}


def _bearer(header: str | None) -> str | None:
    scheme, _, token = (header or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _error(code: str, message: str, field: str | None = None, status: int = 400) -> Response:
    return JSONResponse({"code": code, "field": field, "message": message}, status_code=status)


async def _body(request: Request) -> bytes | None:
    """The body, or None once it passes the limit (read no further)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def upload(request: Request) -> Response:
    runtime = request.app.state.runtime
    if request.headers.get(UPLOAD_HEADER) != "1":
        return _error("CSRF", f"Send the header {UPLOAD_HEADER}: 1.", status=400)
    token = _bearer(request.headers.get("authorization"))
    if token is None:
        return _error("UNAUTHENTICATED", "Authentication required.", status=401)
    try:
        principal = await authenticate(runtime.identity, token)
    except AuthenticationFailed as failure:
        return _error("UNAUTHENTICATED", failure.message, status=401)
    if not principal.can(Permission.LEDGER_WRITE):
        return _error("FORBIDDEN", "Your role does not allow this (ledger:write).", status=403)
    entry_id = parse_global_id(
        request.query_params.get("entryId", ""), "JournalEntry", field="entryId"
    )
    if entry_id is None:
        return _error("NOT_FOUND", "No such journal entry.", "entryId", 404)
    data = await _body(request)
    if data is None:
        return _error("TOO_LARGE", f"At most {MAX_BYTES // (1024 * 1024)} MiB.", "file", 413)
    try:
        attachment = await files.upload(
            runtime.planning,
            principal,
            entry_id=entry_id,
            filename=request.query_params.get("filename"),
            data=data,
        )
    except ValidationFailed as failure:
        return _error(failure.code, failure.message, failure.field, _STATUS.get(failure.code, 400))
    except NotFound as missing:
        return _error("NOT_FOUND", missing.message, missing.field, 404)
    except DomainError as error:
        return _error(error.code, error.message, error.field)
    body: dict[str, Any] = {
        "id": to_global_id("Attachment", attachment.id),
        "entryId": to_global_id("JournalEntry", attachment.entry_id),
        "filename": attachment.filename,
        "mediaType": attachment.media_type,
        "byteSize": attachment.byte_size,
        "sha256": attachment.sha256,
    }
    return JSONResponse(body, status_code=201)


async def download(request: Request) -> Response:
    runtime = request.app.state.runtime
    token = _bearer(request.headers.get("authorization"))
    if token is None:
        return PlainTextResponse("Authentication required.", status_code=401)
    try:
        principal = await authenticate(runtime.identity, token)
    except AuthenticationFailed as failure:
        return PlainTextResponse(failure.message, status_code=401)
    try:
        attachment_id = files.claim_link(
            files.link_key(runtime.settings),
            principal,
            request.path_params["token"],
            runtime.planning.clock(),
        )
        found = await files.open_download(runtime.planning, principal, attachment_id)
    except NotFound as missing:
        return PlainTextResponse(missing.message, status_code=404)
    return StreamingResponse(
        found.body,
        media_type=found.attachment.media_type,
        headers={
            "content-disposition": f'attachment; filename="{found.attachment.filename}"',
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
        },
    )


def attachment_routes() -> list[Route]:
    return [
        Route("/attachments", upload, methods=["POST"]),
        Route("/attachments/{token}", download, methods=["GET"]),
    ]
