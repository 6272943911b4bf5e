"""``/graphql`` over HTTP, following the GraphQL-over-HTTP specification.

Strawberry builds the schema; this module owns the HTTP handling. A request goes:
read parameters -> negotiate the response media type -> parse (byte and token limits)
-> pick the operation (405 for a mutation over GET) -> validate with
``fiscus.schema.limits.validation_rules`` -> coerce variables -> build the context ->
execute the validated document (``fiscus.transport.execution``).

Parse and validate happen here, once (validated documents are cached): the status code
depends on them (400 without ``data`` for ``application/graphql-response+json``), and
graphql-core's ``hide_suggestions`` must reach validation and variable coercion in
production. Execution hands the validated document to graphql-core with Strawberry's
execution context, exactly as the WebSocket transport does: permission classes, field
extensions, DataLoaders in the context and custom scalars behave the same on both;
Strawberry schema extensions (``QueryDepthLimiter``, ``MaskErrors``...) do not run — the
limits live in our validation rules, error masking in ``fiscus.transport.errors``.

Media types: ``application/graphql-response+json`` when the client asks for it;
``application/json`` when it asks only for that, for ``*/*`` or sends no ``Accept``
(what the spec and its audit suite ask during the watershed period). Under
``application/json``, GraphQL request errors (syntax, validation, variable coercion)
keep status 200, as the spec's legacy rules say.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from graphql import (
    GraphQLError,
    validate,
)
from graphql.validation import ASTValidationRule
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from fiscus.observability.context import request_id_var
from fiscus.observability.metrics import (
    OTHER_OPERATIONS,
    OperationLabels,
    graphql_operation_duration,
    graphql_operations,
)
from fiscus.schema.limits import (
    DocumentTooLargeError,
    QueryLimits,
    parse_document,
    validation_rules,
)
from fiscus.transport.documents import DocumentCache
from fiscus.transport.errors import is_client_safe, masked_error, unexpected_error
from fiscus.transport.execution import execute_validated
from fiscus.transport.graphiql import csp_header
from fiscus.transport.http.negotiation import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    accepts_html,
    json_response,
    negotiate_media_type,
)
from fiscus.transport.http.params import (
    DEFAULT_MAX_BODY_BYTES,
    GraphQLParams,
    RequestError,
    read_params,
)
from fiscus.transport.http.prepared import (
    DocumentErrors,
    PreparedOperation,
    check_method,
    select_operation,
)
from fiscus.transport.variables import check_variables

VALIDATED_DOCUMENTS_KEPT = 512
VALIDATED_DOCUMENT_BYTES_KEPT = 256 * 1024

ContextFactory = Callable[[Request], Awaitable[Any]]

_default_logger = logging.getLogger("fiscus.graphql")


class GraphQLHTTPEndpoint:
    def __init__(
        self,
        schema: strawberry.Schema,
        *,
        context_factory: ContextFactory,
        graphiql_html: str | None,
        limits: QueryLimits,
        production: bool,
        introspection: bool | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_upload_bytes: int | None = None,
        logger: logging.Logger = _default_logger,
        operation_labels: OperationLabels | None = None,
        cached_documents: int = VALIDATED_DOCUMENTS_KEPT,
        cached_document_bytes: int = VALIDATED_DOCUMENT_BYTES_KEPT,
    ) -> None:
        self._schema = schema
        self._context_factory = context_factory
        self._graphiql_html = graphiql_html
        self._limits = limits
        self._production = production
        self._rules: list[type[ASTValidationRule]] = validation_rules(
            limits, production, introspection=introspection
        )
        self._max_body_bytes = max_body_bytes
        self._max_upload_bytes = max_upload_bytes
        self._validated: DocumentCache[tuple[str, str | None], PreparedOperation] = DocumentCache(
            max_entries=cached_documents, max_bytes=cached_document_bytes
        )
        self._labels = operation_labels or OperationLabels(limit=200)
        self._logger = logger

    def route(self, path: str = "/graphql") -> Route:
        """Starlette treats callable instances as raw ASGI apps, so route the bound method."""
        return Route(path, self.__call__, methods=["GET", "POST"], name="graphql")

    async def __call__(self, request: Request) -> Response:
        accept = request.headers.get("accept")
        if self._graphiql_html is not None and request.method == "GET" and accepts_html(accept):
            return HTMLResponse(self._graphiql_html, headers=_graphiql_headers())
        media_type = negotiate_media_type(accept)
        if media_type is None:
            return json_response(
                _error_payload(
                    f"Acceptable media types: {GRAPHQL_RESPONSE_JSON}, {APPLICATION_JSON}."
                ),
                406,
                APPLICATION_JSON,
            )
        try:
            return await self._handle(request, media_type)
        except RequestError as error:
            return json_response(
                _error_payload(error.message), error.status, media_type, error.headers
            )

    async def _handle(self, request: Request, media_type: str) -> Response:
        params = await read_params(request, self._max_body_bytes, self._max_upload_bytes)
        try:
            prepared = self._prepare(params, request.method)
            self._check_variables(prepared, params.variables)
        except DocumentErrors as failure:
            graphql_operations.labels("unknown", OTHER_OPERATIONS, "invalid").inc()
            status = failure.status or (400 if media_type == GRAPHQL_RESPONSE_JSON else 200)
            payload = {"errors": [error.formatted for error in failure.errors]}
            return json_response(payload, status, media_type)
        return await self._execute(request, prepared, params, media_type)

    def _prepare(self, params: GraphQLParams, method: str) -> PreparedOperation:
        """Parse and validate, or reuse a document this process already validated (clients
        send the same few documents over and over; validation dominates small requests)."""
        key = (params.query, params.operation_name)
        cached = self._validated.get(key)
        if cached is not None:
            check_method(cached.operation, method)
            return cached
        prepared = self._parse_and_validate(params, method)
        self._validated.put(key, prepared, weight=len(params.query))
        return prepared

    def _parse_and_validate(self, params: GraphQLParams, method: str) -> PreparedOperation:
        try:
            document = parse_document(params.query, self._limits)
        except DocumentTooLargeError as error:
            raise DocumentErrors([error], status=413) from None
        except GraphQLError as error:
            raise DocumentErrors([error]) from None
        operation = select_operation(document, params.operation_name)
        check_method(operation, method)
        errors = validate(
            self._schema._schema,
            document,
            self._rules,
            hide_suggestions=self._production,
        )
        if errors:
            raise DocumentErrors(errors)
        name = operation.name.value if operation.name else None
        return PreparedOperation(params.query, document, operation, self._labels.label(name))

    def _check_variables(
        self, prepared: PreparedOperation, variables: dict[str, Any] | None
    ) -> None:
        """Check and coerce once here so errors get HTTP semantics; Strawberry coerces again."""
        errors = check_variables(
            self._schema._schema,
            prepared.operation,
            variables,
            self._limits,
            hide_suggestions=self._production,
        )
        if errors:
            raise DocumentErrors(errors)

    async def _execute(
        self,
        request: Request,
        prepared: PreparedOperation,
        params: GraphQLParams,
        media_type: str,
    ) -> Response:
        context = await self._build_context(request, prepared, media_type)
        if isinstance(context, Response):
            return context
        started = time.perf_counter()
        try:
            result = await execute_validated(
                self._schema,
                prepared.document,
                operation_name=params.operation_name,
                variables=params.variables,
                context=context,
                operation_extensions=params.extensions,
            )
        finally:
            await _close(context)
            graphql_operation_duration.labels(prepared.type, prepared.label).observe(
                time.perf_counter() - started
            )
        outcome = "error" if result.errors else "ok"
        graphql_operations.labels(prepared.type, prepared.label, outcome).inc()
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = self._format_errors(result.errors, prepared)
        if result.extensions:
            payload["extensions"] = result.extensions
        return json_response(payload, 200, media_type)

    async def _build_context(
        self, request: Request, prepared: PreparedOperation, media_type: str
    ) -> Any:
        try:
            return await self._context_factory(request)
        except GraphQLError as error:
            graphql_operations.labels(prepared.type, prepared.label, "error").inc()
            status = _status_for_code((error.extensions or {}).get("code"))
            return json_response({"errors": [error.formatted]}, status, media_type)
        except Exception as error:
            graphql_operations.labels(prepared.type, prepared.label, "error").inc()
            self._log_unexpected(error, prepared, path=None)
            return json_response(_masked_payload(), 500, media_type)

    def _format_errors(
        self, errors: list[GraphQLError], prepared: PreparedOperation
    ) -> list[dict[str, Any]]:
        formatted: list[dict[str, Any]] = []
        for error in errors:
            if is_client_safe(error):
                formatted.append(dict(error.formatted))
                continue
            self._log_unexpected(error.original_error or error, prepared, path=error.path)
            formatted.append(masked_error(error))
        return formatted

    def _log_unexpected(self, error: BaseException, prepared: PreparedOperation, path: Any) -> None:
        request_id = request_id_var.get()
        self._logger.error(
            "Unexpected error in GraphQL %s %s at path %s (request_id=%s)",
            prepared.type,
            prepared.label,
            path,
            request_id,
            exc_info=(type(error), error, error.__traceback__),
            extra={"request_id": request_id, "graphql_operation": prepared.label},
        )


def _masked_payload() -> dict[str, Any]:
    return {"errors": [unexpected_error()]}


def _error_payload(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message}]}


def _status_for_code(code: object) -> int:
    return {"UNAUTHENTICATED": 401, "FORBIDDEN": 403}.get(str(code), 400)


def _graphiql_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": csp_header(),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


async def _close(context: Any) -> None:
    """Contexts may hold request-scoped resources (a read transaction): release them."""
    aclose = getattr(context, "aclose", None)
    if aclose is not None:
        await aclose()
