"""GraphQL multipart requests (github.com/jaydenseric/graphql-multipart-request-spec):
``operations`` (the JSON request with null placeholders), ``map`` (file field -> the
variable paths it fills) and the files. Each file becomes an ``UploadedFile`` at its paths.

A multipart form is a "simple" request: a browser sends it cross-site without a CORS
preflight, so a hostile page could make a logged-in browser upload (CSRF). Such requests
must therefore carry a header only scripts can set, which forces the preflight:
``GraphQL-Require-Preflight`` (or Apollo's ``Apollo-Require-Preflight``), any non-empty
value. The body is read through a cap (``max_bytes``) whatever Content-Length claims.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from fiscus.schema.uploads import UploadedFile
from fiscus.transport.http.params import RequestError

PREFLIGHT_HEADERS = ("graphql-require-preflight", "apollo-require-preflight")
MAX_FILES = 5
MAX_FIELDS = 10
MAX_FIELD_BYTES = 1024 * 1024


async def read_multipart(request: Request, max_bytes: int) -> dict[str, Any]:
    """The request's ``operations`` with every mapped file in place."""
    if not any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        raise RequestError(
            400,
            "Multipart requests must carry a GraphQL-Require-Preflight header "
            "(it makes browsers check CORS first).",
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)

    async def capped() -> AsyncGenerator[bytes, None]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(max_bytes)
            yield chunk

    parser = MultiPartParser(
        request.headers,
        capped(),
        max_files=MAX_FILES,
        max_fields=MAX_FIELDS,
        max_part_size=MAX_FIELD_BYTES,
    )
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise RequestError(400, f"The multipart body is malformed: {error.message}") from None
    try:
        operations = _json_field(form.get("operations"), "operations")
        mapping = _json_field(form.get("map"), "map")
        if not isinstance(operations, dict):
            raise RequestError(400, "The 'operations' field must be a JSON object.")
        if not isinstance(mapping, dict):
            raise RequestError(400, "The 'map' field must be a JSON object.")
        for key, paths in mapping.items():
            part = form.get(key)
            if not isinstance(part, UploadFile):
                raise RequestError(400, f"The map names a file {key!r} the request lacks.")
            if not isinstance(paths, list) or not paths:
                raise RequestError(400, f"The map's entry {key!r} must list variable paths.")
            uploaded = UploadedFile(part.filename, part.content_type, await part.read())
            for path in paths:
                _put(operations, path, uploaded)
        return operations
    finally:
        await form.close()


def _json_field(value: object, name: str) -> Any:
    if not isinstance(value, str):
        raise RequestError(400, f"The multipart request lacks its {name!r} field.")
    try:
        return json.loads(value)
    except ValueError:
        raise RequestError(400, f"The {name!r} field is not valid JSON.") from None
    except RecursionError:
        raise RequestError(400, f"The {name!r} field is nested too deeply.") from None


def _put(operations: dict[str, Any], path: object, value: UploadedFile) -> None:
    if not isinstance(path, str) or not path.startswith("variables."):
        raise RequestError(400, f"A file goes into a variable, not at {path!r}.")
    parts = path.split(".")
    target: Any = operations
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        try:
            if isinstance(target, list):
                index = int(part)
                if last:
                    if target[index] is not None:
                        raise RequestError(400, f"The variable at {path!r} is not null.")
                    target[index] = value
                    return
                target = target[index]
            elif isinstance(target, dict):
                if last:
                    if target.get(part) is not None:
                        raise RequestError(400, f"The variable at {path!r} is not null.")
                    target[part] = value
                    return
                target = target[part]
            else:
                raise KeyError(part)
        except (KeyError, IndexError, ValueError):
            raise RequestError(400, f"The operations have no variable at {path!r}.") from None


def _too_large(max_bytes: int) -> RequestError:
    return RequestError(413, f"The request body is larger than {max_bytes} bytes.")
