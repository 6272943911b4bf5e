"""Reading a GraphQL request's parameters from GET query strings and POST bodies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from fiscus.transport.http.negotiation import APPLICATION_JSON
from fiscus.transport.variables import is_unicode

DEFAULT_MAX_BODY_BYTES = 1_048_576


class RequestError(Exception):
    """The HTTP request is not a well-formed GraphQL request; never reaches execution."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@dataclass(frozen=True, slots=True)
class GraphQLParams:
    query: str
    operation_name: str | None
    variables: dict[str, Any] | None
    extensions: dict[str, Any] | None


# --- reading the request ------------------------------------------------------------


async def read_params(
    request: Request, max_body_bytes: int, max_upload_bytes: int | None = None
) -> GraphQLParams:
    """``max_upload_bytes``: the cap of a multipart request (file uploads); None: refused."""
    if request.method == "GET":
        raw: Mapping[str, Any] = _params_from_query_string(request)
    elif request.method == "POST" and max_upload_bytes is not None and _multipart(request):
        from fiscus.transport.http.uploads import read_multipart

        raw = await read_multipart(request, max_upload_bytes)
    elif request.method == "POST":
        raw = await _params_from_body(request, max_body_bytes)
    else:
        raise RequestError(405, "Use GET or POST.", {"Allow": "GET, POST"})
    return _validate_params(raw)


def _multipart(request: Request) -> bool:
    content_type = request.headers.get("content-type") or ""
    return content_type.split(";")[0].strip().lower() == "multipart/form-data"


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
    except RecursionError:
        raise RequestError(400, f"{what} is nested too deeply.") from None


def _validate_params(raw: Mapping[str, Any]) -> GraphQLParams:
    query = raw.get("query")
    if query is None:
        raise RequestError(400, "The 'query' parameter is missing.")
    if not isinstance(query, str) or not query.strip():
        raise RequestError(400, "The 'query' parameter must be a non-empty string.")
    if not is_unicode(query):
        raise RequestError(400, "The 'query' parameter is not valid Unicode (a lone surrogate).")
    operation_name = raw.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "The 'operationName' parameter must be a string or null.")
    if operation_name is not None and not is_unicode(operation_name):
        raise RequestError(400, "The 'operationName' parameter is not valid Unicode.")
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
