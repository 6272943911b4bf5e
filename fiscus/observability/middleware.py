"""``RequestContextMiddleware``: request id, HTTP metrics and one access-log line per request.

Metrics are labelled with the matched route's path template (``/users/{id}``), read from
``scope["route"]`` after routing, never with the raw path: a scanner probing random URLs
adds one ``unmatched`` series, not one per URL.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fiscus.observability import metrics
from fiscus.observability.context import request_id_var

REQUEST_ID_HEADER = b"x-request-id"
UNMATCHED = "unmatched"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

access_log = logging.getLogger("fiscus.access")
log = logging.getLogger(__name__)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        try:
            if scope["type"] == "http":
                await self._http(scope, receive, send, request_id)
            else:
                await self._websocket(scope, receive, send, request_id)
        finally:
            request_id_var.reset(token)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        root_path = str(scope.get("root_path", ""))
        status: int | None = None
        started = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                _add_request_id_header(message, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            log.exception("unhandled error", extra={"path": scope.get("path")})
            if status is None:
                # Answer here so the client gets the request id to report; Starlette's
                # outer error middleware sees the response started and only re-raises.
                await _send_server_error(send_with_request_id)
            raise
        finally:
            status = status or 500
            elapsed = time.perf_counter() - started
            method = method_label(str(scope["method"]))
            route = route_template(scope, root_path)
            metrics.http_requests.labels(method=method, route=route, status=str(status)).inc()
            metrics.http_request_duration.labels(method=method, route=route).observe(elapsed)
            _log_access(scope, method, route, status, elapsed)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        root_path = str(scope.get("root_path", ""))
        accepted = False
        started = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept":
                accepted = True
                _add_request_id_header(message, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            _log_access(
                scope,
                "WEBSOCKET",
                route_template(scope, root_path),
                101 if accepted else 403,
                time.perf_counter() - started,
            )


def incoming_request_id(scope: Scope) -> str | None:
    """The client's ``X-Request-ID`` if it is 1-64 characters of ``[A-Za-z0-9._-]``
    (anything else could forge log lines or bloat them)."""
    for name, value in scope.get("headers", []):
        if name.lower() == REQUEST_ID_HEADER:
            candidate = value.decode("latin-1")
            return candidate if _SANE_REQUEST_ID.fullmatch(candidate) else None
    return None


def route_template(scope: Scope, root_path_before: str = "") -> str:
    """The matched route's path template, including the path of the ``Mount`` it is in
    (a parametrised mount contributes its concrete path)."""
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    if not isinstance(template, str) or not template:
        return UNMATCHED
    if isinstance(route, Mount):
        return template
    mounted_at = str(scope.get("root_path", ""))[len(root_path_before) :]
    return mounted_at + template


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "OTHER"


def _add_request_id_header(message: Message, request_id: str) -> None:
    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER]
    headers.append((REQUEST_ID_HEADER, request_id.encode("latin-1")))
    message["headers"] = headers


async def _send_server_error(send: Send) -> None:
    body = b"Internal Server Error"
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _log_access(scope: Scope, method: str, route: str, status: int, elapsed: float) -> None:
    # Probes and scrapes arrive every few seconds: keep them out of INFO unless they fail.
    routine = route.startswith("/health") or route == "/metrics"
    level = logging.DEBUG if routine and status < 500 else logging.INFO
    if not access_log.isEnabledFor(level):
        return
    client = scope.get("client")
    path = str(scope.get("path", ""))
    duration_ms = round(elapsed * 1000, 2)
    access_log.log(
        level,
        "%s %s %s %.1fms",
        method,
        path,
        status,
        duration_ms,
        extra={
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
            "client": client[0] if client else None,
        },
    )
