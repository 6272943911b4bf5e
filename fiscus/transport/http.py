"""``/graphql`` over HTTP, following the GraphQL-over-HTTP specification.

Strawberry builds the schema; this module owns the HTTP handling. A request goes:
read parameters -> negotiate the response media type -> parse (byte and token limits)
-> pick the operation (405 for a mutation over GET) -> validate with
``fiscus.schema.limits.validation_rules`` -> coerce variables -> build the context ->
``schema.execute``.

Parse and validate happen here, once: the status code depends on them (400 without
``data`` for ``application/graphql-response+json``), and graphql-core's
``hide_suggestions`` must reach validation and variable coercion in production.
Execution then goes through ``strawberry.Schema.execute`` so that schema extensions,
directives, permission classes, DataLoaders in the context and custom scalars behave
exactly as on the WebSocket transport. To stop Strawberry parsing and validating a
second time, the endpoint registers :class:`PreparedOperationExtension` on the schema
it serves: for a request prepared here it hands Strawberry the parsed document and an
empty error list, the same hooks ``ParserCache`` and ``ValidationCache`` use. Strawberry
validation extensions (``QueryDepthLimiter``, ``AddValidationRules``...) are therefore
bypassed on HTTP; the limits live in our rules.

Media types: ``application/graphql-response+json`` when the client asks for it;
``application/json`` when it asks only for that, for ``*/*`` or sends no ``Accept``
(what the spec and its audit suite ask during the watershed period). Under
``application/json``, GraphQL request errors (syntax, validation, variable coercion)
keep status 200, as the spec's legacy rules say.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.validation import ASTValidationRule
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from strawberry.extensions import SchemaExtension

from fiscus.observability.context import request_id_var
from fiscus.observability.metrics import (
    graphql_operation_duration,
    graphql_operations,
    operation_label,
)
from fiscus.schema.limits import (
    DocumentTooLargeError,
    QueryLimits,
    parse_document,
    validation_rules,
)
from fiscus.transport.errors import is_client_safe, masked_error, unexpected_error
from fiscus.transport.graphiql import csp_header

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
DEFAULT_MAX_BODY_BYTES = 1_048_576
VALIDATED_DOCUMENTS_KEPT = 512

ContextFactory = Callable[[Request], Awaitable[Any]]

_default_logger = logging.getLogger("fiscus.graphql")


class RequestError(Exception):
    """The HTTP request is not a well-formed GraphQL request; never reaches execution."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


class DocumentErrors(Exception):
    """Syntax, validation or variable-coercion errors: a response without ``data``."""

    def __init__(self, errors: list[GraphQLError], status: int | None = None) -> None:
        super().__init__(errors[0].message if errors else "invalid document")
        self.errors = errors
        self.status = status


@dataclass(frozen=True, slots=True)
class GraphQLParams:
    query: str
    operation_name: str | None
    variables: dict[str, Any] | None
    extensions: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    source: str
    document: DocumentNode
    operation: OperationDefinitionNode

    @property
    def type(self) -> str:
        return self.operation.operation.value

    @property
    def label(self) -> str:
        name = self.operation.name.value if self.operation.name else None
        return operation_label(name)


_prepared_operation: ContextVar[PreparedOperation | None] = ContextVar(
    "fiscus_prepared_operation", default=None
)


class PreparedOperationExtension(SchemaExtension):
    """Hands Strawberry the document this module already parsed and validated."""

    def _prepared(self) -> PreparedOperation | None:
        prepared = _prepared_operation.get()
        if prepared is not None and prepared.source is self.execution_context.query:
            return prepared
        return None

    def on_parse(self) -> Iterator[None]:
        prepared = self._prepared()
        if prepared is not None:
            self.execution_context.graphql_document = prepared.document
        yield

    def on_validate(self) -> Iterator[None]:
        if self._prepared() is not None:
            self.execution_context.pre_execution_errors = []
        yield


def install_prepared_operation_extension(schema: strawberry.Schema) -> None:
    if PreparedOperationExtension not in schema.extensions:
        schema.extensions = (PreparedOperationExtension, *schema.extensions)


# --- content negotiation ------------------------------------------------------------


def _media_ranges(accept: str) -> Iterator[tuple[str, float]]:
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            yield media.lower(), quality


def negotiate_media_type(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header, or None (406)."""
    if accept is None or not accept.strip():
        return APPLICATION_JSON
    explicit: dict[str, float] = {}
    wildcard = 0.0
    for media, quality in _media_ranges(accept):
        if media in (GRAPHQL_RESPONSE_JSON, APPLICATION_JSON):
            explicit[media] = max(explicit.get(media, 0.0), quality)
        elif media in ("*/*", "application/*"):
            wildcard = max(wildcard, quality)
    best = max(explicit.values(), default=0.0)
    if best > 0 and best >= wildcard:
        if explicit.get(GRAPHQL_RESPONSE_JSON, 0.0) == best:
            return GRAPHQL_RESPONSE_JSON
        return APPLICATION_JSON
    return APPLICATION_JSON if wildcard > 0 else None


def accepts_html(accept: str | None) -> bool:
    return any(media == "text/html" and q > 0 for media, q in _media_ranges(accept or ""))


# --- reading the request ------------------------------------------------------------


async def read_params(request: Request, max_body_bytes: int) -> GraphQLParams:
    if request.method == "GET":
        raw: Mapping[str, Any] = _params_from_query_string(request)
    elif request.method == "POST":
        raw = await _params_from_body(request, max_body_bytes)
    else:
        raise RequestError(405, "Use GET or POST.", {"Allow": "GET, POST"})
    return _validate_params(raw)


def _params_from_query_string(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    for key in ("variables", "extensions"):
        if key in params:
            params[key] = _decode_json(params[key], f"The '{key}' query parameter")
    return params


async def _params_from_body(request: Request, max_body_bytes: int) -> Mapping[str, Any]:
    _check_content_type(request.headers.get("content-type"))
    body = await _read_body(request, max_body_bytes)
    if not body:
        raise RequestError(400, "The request body is empty; send a JSON object.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(400, "The request body is not valid UTF-8.") from None
    params = _decode_json(text, "The request body")
    if not isinstance(params, dict):
        raise RequestError(400, "The request body must be a JSON object.")
    return params


def _check_content_type(content_type: str | None) -> None:
    media, *params = (piece.strip().lower() for piece in (content_type or "").split(";"))
    if media != APPLICATION_JSON:
        raise RequestError(415, "POST requests must use Content-Type: application/json.")
    for param in params:
        key, _, value = param.partition("=")
        if key.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            raise RequestError(415, "Only the utf-8 charset is supported.")


async def _read_body(request: Request, max_body_bytes: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_body_bytes:
        raise _body_too_large(max_body_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body_bytes:
            raise _body_too_large(max_body_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _body_too_large(max_body_bytes: int) -> RequestError:
    return RequestError(413, f"The request body is larger than {max_body_bytes} bytes.")


def _decode_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise RequestError(400, f"{what} is not valid JSON.") from None


def _validate_params(raw: Mapping[str, Any]) -> GraphQLParams:
    query = raw.get("query")
    if query is None:
        raise RequestError(400, "The 'query' parameter is missing.")
    if not isinstance(query, str) or not query.strip():
        raise RequestError(400, "The 'query' parameter must be a non-empty string.")
    operation_name = raw.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "The 'operationName' parameter must be a string or null.")
    return GraphQLParams(
        query=query,
        operation_name=operation_name or None,
        variables=_optional_map(raw, "variables"),
        extensions=_optional_map(raw, "extensions"),
    )


def _optional_map(raw: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, dict):
        raise RequestError(400, f"The '{key}' parameter must be a JSON object or null.")
    return value


# --- responses -----------------------------------------------------------------------


def json_response(
    payload: Mapping[str, Any],
    status: int,
    media_type: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(
        body,
        status_code=status,
        headers={"Vary": "Accept", **(headers or {})},
        media_type=f"{media_type}; charset=utf-8",
    )


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
        logger: logging.Logger = _default_logger,
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
        self._validated: OrderedDict[tuple[str, str | None], PreparedOperation] = OrderedDict()
        self._logger = logger
        install_prepared_operation_extension(schema)

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
        params = await read_params(request, self._max_body_bytes)
        try:
            prepared = self._prepare(params, request.method)
            self._check_variables(prepared, params.variables)
        except DocumentErrors as failure:
            label = operation_label(params.operation_name)
            graphql_operations.labels("unknown", label, "invalid").inc()
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
            self._validated.move_to_end(key)
            _check_method(cached.operation, method)
            return cached
        prepared = self._parse_and_validate(params, method)
        self._validated[key] = prepared
        if len(self._validated) > VALIDATED_DOCUMENTS_KEPT:
            self._validated.popitem(last=False)
        return prepared

    def _parse_and_validate(self, params: GraphQLParams, method: str) -> PreparedOperation:
        try:
            document = parse_document(params.query, self._limits)
        except DocumentTooLargeError as error:
            raise DocumentErrors([error], status=413) from None
        except GraphQLError as error:
            raise DocumentErrors([error]) from None
        operation = _select_operation(document, params.operation_name)
        _check_method(operation, method)
        errors = validate(
            self._schema._schema,
            document,
            self._rules,
            hide_suggestions=self._production,
        )
        if errors:
            raise DocumentErrors(errors)
        return PreparedOperation(params.query, document, operation)

    def _check_variables(
        self, prepared: PreparedOperation, variables: dict[str, Any] | None
    ) -> None:
        """Coerce once here so errors get HTTP semantics; Strawberry coerces again."""
        result = get_variable_values(
            self._schema._schema,
            prepared.operation.variable_definitions or (),
            variables or {},
            max_errors=50,
            hide_suggestions=self._production,
        )
        if isinstance(result, list):
            raise DocumentErrors(result)

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
        token = _prepared_operation.set(prepared)
        started = time.perf_counter()
        try:
            result = await self._schema.execute(
                prepared.source,
                variable_values=params.variables,
                context_value=context,
                operation_name=params.operation_name,
                operation_extensions=params.extensions,
            )
        finally:
            _prepared_operation.reset(token)
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


def _select_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operation = get_operation_ast(document, name)
    if operation is not None:
        return operation
    count = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
    if name:
        message = f"Unknown operation named '{name}'."
    elif count == 0:
        message = "The document contains no operation to execute."
    else:
        message = "The document has several operations; send 'operationName'."
    raise DocumentErrors([GraphQLError(message)])


def _check_method(operation: OperationDefinitionNode, method: str) -> None:
    if operation.operation == OperationType.SUBSCRIPTION:
        raise RequestError(
            400, "Subscriptions are served over WebSocket (graphql-transport-ws) at /graphql."
        )
    if method == "GET" and operation.operation != OperationType.QUERY:
        raise RequestError(405, "Mutations must be sent with POST, not GET.", {"Allow": "POST"})


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
