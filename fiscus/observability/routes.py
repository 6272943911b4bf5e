"""The operational routes: health probes and Prometheus metrics."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from prometheus_client.exposition import choose_encoder
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from fiscus.observability import health
from fiscus.observability.metrics import REGISTRY


async def prometheus_metrics(request: Request) -> Response:
    """Negotiated like prometheus_client's own exporters: the classic text format (0.0.4)
    unless the scraper's ``Accept`` asks for OpenMetrics or text 1.0.0."""
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(REGISTRY), headers={"content-type": content_type})


def protected_by(
    token: SecretStr | None, endpoint: Callable[[Request], Awaitable[Response]]
) -> Callable[[Request], Awaitable[Response]]:
    """``endpoint`` behind ``Authorization: Bearer <token>`` (compared in constant time);
    unprotected when no token is configured."""
    if token is None:
        return endpoint
    expected = f"Bearer {token.get_secret_value()}".encode()

    async def guarded(request: Request) -> Response:
        presented = request.headers.get("authorization", "").encode("latin-1", "replace")
        if not hmac.compare_digest(presented, expected):
            return PlainTextResponse(
                "Unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        return await endpoint(request)

    return guarded


def observability_routes(metrics_token: SecretStr | None = None) -> list[BaseRoute]:
    """``metrics_token``: when set, scraping ``/metrics`` requires it as a bearer token."""
    metrics = protected_by(metrics_token, prometheus_metrics)
    return [
        Route("/health", health.alive, methods=["GET"], name="health"),
        Route("/health/database", health.database, methods=["GET"], name="health-database"),
        Route("/health/cache", health.cache, methods=["GET"], name="health-cache"),
        Route("/health/worker", health.worker, methods=["GET"], name="health-worker"),
        Route("/metrics", metrics, methods=["GET"], name="metrics"),
    ]
