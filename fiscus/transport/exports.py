"""``GET /exports/{token}``: the file behind an export link, streamed. The caller sends their
access token (``Authorization: Bearer``); the link must be theirs organization's and
unexpired, else 404."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from fiscus.domain.errors import AuthenticationFailed, DomainError, NotFound
from fiscus.services.identity.auth import authenticate
from fiscus.services.ledger import exports
from fiscus.services.portfolios import exports as portfolio_exports


def _bearer(header: str | None) -> str | None:
    scheme, _, token = (header or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


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
        wanted = exports.claim_link(
            exports.link_key(runtime.settings),
            principal,
            request.path_params["token"],
            runtime.ledger.clock(),
        )
        found = await exports.open_export(runtime.ledger, principal, wanted)
    except NotFound as missing:
        return PlainTextResponse(missing.message, status_code=404)
    except DomainError as error:
        return PlainTextResponse(error.message, status_code=400)
    return StreamingResponse(
        found.body,
        media_type=found.media_type,
        headers={
            "content-disposition": f'attachment; filename="{found.filename}"',
            "cache-control": "no-store",
        },
    )


async def download_portfolio_export(request: Request) -> Response:
    """``GET /exports/portfolios/{token}``: a capital-gains report (same rules)."""
    runtime = request.app.state.runtime
    token = _bearer(request.headers.get("authorization"))
    if token is None:
        return PlainTextResponse("Authentication required.", status_code=401)
    try:
        principal = await authenticate(runtime.identity, token)
    except AuthenticationFailed as failure:
        return PlainTextResponse(failure.message, status_code=401)
    ctx = runtime.portfolios
    try:
        wanted = portfolio_exports.claim_link(
            portfolio_exports.link_key(runtime.settings),
            principal,
            request.path_params["token"],
            ctx.clock(),
        )
        found = await portfolio_exports.open_export(ctx, principal, wanted)
    except NotFound as missing:
        return PlainTextResponse(missing.message, status_code=404)
    except DomainError as error:
        return PlainTextResponse(error.message, status_code=400)
    return StreamingResponse(
        found.body,
        media_type=found.media_type,
        headers={
            "content-disposition": f'attachment; filename="{found.filename}"',
            "cache-control": "no-store",
        },
    )


def export_routes() -> list[Route]:
    return [
        Route("/exports/portfolios/{token}", download_portfolio_export, methods=["GET"]),
        Route("/exports/{token}", download, methods=["GET"]),
    ]
