"""``POST /webhooks/plaid``: Plaid's webhooks. The body is read (capped) and its signature
verified before anything else (``Plaid-Verification``: ES256 JWT over the body's SHA-256);
a transactions update queues the item's sync. Refused signatures answer 401, anything
accepted 200 (Plaid retries on other answers)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fiscus.services.imports.plaid.connections import WebhookRefused, handle_webhook

MAX_BODY = 64 * 1024
log = logging.getLogger(__name__)


async def plaid_webhook(request: Request) -> Response:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return JSONResponse({"error": "The body is too large."}, status_code=413)
        chunks.append(chunk)
    try:
        outcome = await handle_webhook(
            request.app.state.runtime.imports,
            b"".join(chunks),
            request.headers.get("plaid-verification"),
        )
    except WebhookRefused as refused:
        log.warning("plaid webhook refused: %s", refused)
        return JSONResponse({"error": "The webhook's signature does not hold."}, status_code=401)
    return JSONResponse({"status": outcome})


def webhook_routes() -> list[Route]:
    return [Route("/webhooks/plaid", plaid_webhook, methods=["POST"])]
