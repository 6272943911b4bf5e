"""The operational routes: health probes and Prometheus metrics."""

from __future__ import annotations

from prometheus_client.exposition import choose_encoder
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fiscus.observability import health
from fiscus.observability.metrics import REGISTRY


async def prometheus_metrics(request: Request) -> Response:
    """Negotiated like prometheus_client's own exporters: the classic text format (0.0.4)
    unless the scraper's ``Accept`` asks for OpenMetrics or text 1.0.0."""
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(REGISTRY), headers={"content-type": content_type})


def observability_routes() -> list[BaseRoute]:
    return [
        Route("/health", health.alive, methods=["GET"], name="health"),
        Route("/health/database", health.database, methods=["GET"], name="health-database"),
        Route("/health/cache", health.cache, methods=["GET"], name="health-cache"),
        Route("/health/worker", health.worker, methods=["GET"], name="health-worker"),
        Route("/metrics", prometheus_metrics, methods=["GET"], name="metrics"),
    ]
