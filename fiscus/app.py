"""``create_app(settings)``: the Starlette application, wired.

The lifespan opens the process's ``Runtime`` (database, Redis, broker, job queue) and the
real-time hub; routes serve GraphQL over HTTP and WebSocket, GraphiQL's assets, health
checks and metrics.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Mount, WebSocketRoute
from starlette.websockets import WebSocket

from fiscus.config import Settings, with_jwt_secret
from fiscus.domain.errors import AuthenticationFailed
from fiscus.domain.identity import Principal
from fiscus.observability.metrics import OperationLabels
from fiscus.observability.middleware import RequestContextMiddleware
from fiscus.observability.routes import observability_routes
from fiscus.realtime.hub import Hub
from fiscus.realtime.interest import InterestRegistry
from fiscus.resolvers.loaders import Loaders
from fiscus.resolvers.root import build_schema
from fiscus.runtime import Runtime
from fiscus.schema.context import Context
from fiscus.schema.limits import QueryLimits, validation_rules
from fiscus.services.credentials import Clock, utcnow
from fiscus.services.identity.auth import authenticate, revalidate
from fiscus.services.portfolios.live import PortfolioValuations
from fiscus.services.portfolios.marks import live_inputs
from fiscus.transport.attachments import attachment_routes
from fiscus.transport.exports import export_routes
from fiscus.transport.graphiql import assets_app, graphiql_html
from fiscus.transport.http import GraphQLHTTPEndpoint
from fiscus.transport.webhooks import webhook_routes
from fiscus.transport.websocket import GraphQLWebSocketEndpoint


def create_app(settings: Settings, *, clock: Clock = utcnow) -> Starlette:
    settings = with_jwt_secret(settings)
    schema = build_schema()
    state: dict[str, Any] = {}

    def runtime() -> Runtime:
        opened: Runtime = state["runtime"]
        return opened

    async def http_context(request: Request) -> Context:
        return Context(
            identity=runtime().identity,
            marketdata_context=runtime().marketdata,
            ledger_context=runtime().ledger,
            portfolios_context=runtime().portfolios,
            planning_context=runtime().planning,
            imports_context=runtime().imports,
            make_loaders=Loaders,
            hub=state["hub"],
            valuations=state["valuations"],
            bearer_token=_bearer(request.headers.get("authorization")),
            client_address=request.client.host if request.client else None,
        )

    async def ws_context(principal: Principal, client_address: str | None) -> Context:
        """``principal`` was re-confirmed against the database as the operation started."""
        return Context.for_principal(
            principal,
            identity=runtime().identity,
            marketdata_context=runtime().marketdata,
            ledger_context=runtime().ledger,
            portfolios_context=runtime().portfolios,
            planning_context=runtime().planning,
            imports_context=runtime().imports,
            make_loaders=Loaders,
            hub=state["hub"],
            valuations=state["valuations"],
            client_address=client_address,
        )

    async def ws_authenticate(params: dict[str, Any]) -> Principal:
        token = _bearer(params.get("authorization") or params.get("Authorization"))
        if not token:
            raise AuthenticationFailed("TOKEN_INVALID", "Missing bearer token.")
        return await authenticate(runtime().identity, token)

    async def ws_revalidate(principal: Principal) -> Principal | None:
        return await revalidate(runtime().identity, principal)

    limits = QueryLimits.from_settings(settings.graphql)
    http = GraphQLHTTPEndpoint(
        schema,
        context_factory=http_context,
        graphiql_html=graphiql_html() if settings.graphiql_enabled else None,
        limits=limits,
        production=settings.is_production,
        introspection=settings.introspection_enabled,
        operation_labels=OperationLabels(settings.metrics.max_operation_names),
        cached_documents=settings.graphql.document_cache_entries,
        cached_document_bytes=settings.graphql.document_cache_bytes,
        max_body_bytes=settings.graphql.max_request_bytes,
        # A statement file and the multipart envelope around it.
        max_upload_bytes=settings.imports.max_upload_bytes + 64 * 1024,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        opened = await Runtime.open(settings, clock=clock)
        interest = InterestRegistry(
            opened.redis,
            settings.redis.prefix,
            ttl_seconds=settings.streamer.interest_ttl_seconds,
            heartbeat_seconds=settings.streamer.interest_heartbeat_seconds,
        )
        hub = Hub(
            opened.redis,
            opened.broker,
            settings.realtime.subscriber_queue_size,
            interest=interest,
        )
        await interest.start()
        await hub.start()
        valuations = PortfolioValuations(
            hub,
            opened.broker,
            functools.partial(live_inputs, opened.portfolios),
            interval=settings.realtime.valuation_interval_seconds,
        )
        await valuations.start()
        state.update(runtime=opened, hub=hub, valuations=valuations)
        app.state.valuations = valuations
        app.state.interest = interest
        app.state.runtime = opened
        app.state.graphql_ws = GraphQLWebSocketEndpoint(
            schema,
            hub=hub,
            authenticate=ws_authenticate,
            revalidate=ws_revalidate,
            context_factory=ws_context,
            settings=settings.realtime,
            validation_rules=validation_rules(
                limits, settings.is_production, introspection=settings.introspection_enabled
            ),
            limits=limits,
            hide_suggestions=settings.is_production,
            cached_documents=settings.graphql.document_cache_entries,
            cached_document_bytes=settings.graphql.document_cache_bytes,
        )
        try:
            yield
        finally:
            await valuations.stop()
            await hub.stop()
            await interest.stop()
            await opened.close()

    async def graphql_ws(websocket: WebSocket) -> None:
        endpoint: GraphQLWebSocketEndpoint = websocket.app.state.graphql_ws
        await endpoint.handle(websocket)

    routes: list[Any] = [
        http.route("/graphql"),
        WebSocketRoute("/graphql", graphql_ws),
        *observability_routes(settings.metrics.token),
        *export_routes(),
        *attachment_routes(),
        *webhook_routes(),
    ]
    if settings.graphiql_enabled:
        routes.append(Mount("/graphql/assets", app=assets_app(graphiql_asset_directory(settings))))
    app = Starlette(
        routes=routes, lifespan=lifespan, middleware=[Middleware(RequestContextMiddleware)]
    )
    app.state.settings = settings
    app.state.schema = schema
    return app


def graphiql_asset_directory(settings: Settings) -> Path:
    return settings.data_dir / "graphiql-assets"


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
