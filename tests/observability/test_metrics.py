"""Prometheus text, route-template labels, request ids and JSON logs."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import Message
from starlette.websockets import WebSocket

from fiscus.config import Settings
from fiscus.observability.logging import configure_logging
from fiscus.observability.metrics import REGISTRY
from fiscus.observability.middleware import RequestContextMiddleware
from tests.observability.conftest import client_for

pytestmark = pytest.mark.usefixtures("restore_logging")


def http_requests(method: str, route: str, status: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "fiscus_http_requests_total", {"method": method, "route": route, "status": status}
        )
        or 0.0
    )


async def test_metrics_are_served_in_prometheus_text_format(
    ops_client: httpx.AsyncClient,
) -> None:
    await ops_client.get("/items/42")

    response = await ops_client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'fiscus_http_requests_total{method="GET",route="/items/{item_id}",status="200"}' in (
        response.text
    )
    assert "fiscus_http_request_duration_seconds_bucket" in response.text
    assert "/items/42" not in response.text


async def test_a_scraper_asking_for_openmetrics_gets_it(ops_client: httpx.AsyncClient) -> None:
    response = await ops_client.get(
        "/metrics", headers={"accept": "application/openmetrics-text; version=1.0.0"}
    )

    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")


async def test_requests_are_counted_by_route_template_not_raw_path(
    ops_client: httpx.AsyncClient,
) -> None:
    before = http_requests("GET", "/items/{item_id}", "200")
    unmatched_before = http_requests("GET", "unmatched", "404")

    for item_id in (1, 2, 3):
        await ops_client.get(f"/items/{item_id}")
    await ops_client.get("/no/such/page")
    await ops_client.get("/no/such/other/page")

    assert http_requests("GET", "/items/{item_id}", "200") == before + 3
    assert http_requests("GET", "unmatched", "404") == unmatched_before + 2


async def test_routes_inside_a_mount_are_labelled_with_the_full_template() -> None:
    async def item(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    inner = Mount("/api", routes=[Route("/items/{item_id}", item)])
    app = Starlette(routes=[inner], middleware=[Middleware(RequestContextMiddleware)])
    before = http_requests("GET", "/api/items/{item_id}", "200")

    async with client_for(app) as client:
        await client.get("/api/items/7")

    assert http_requests("GET", "/api/items/{item_id}", "200") == before + 1


async def test_a_sane_request_id_is_echoed_and_seen_by_the_endpoint(
    ops_client: httpx.AsyncClient,
) -> None:
    response = await ops_client.get("/whoami", headers={"x-request-id": "edge-7f3a.1_b"})

    assert response.headers["x-request-id"] == "edge-7f3a.1_b"
    assert response.json() == {"request_id": "edge-7f3a.1_b"}


@pytest.mark.parametrize(
    "incoming", [None, b"", b"x" * 65, b"has space", b'quote"s', "ünïcode".encode()]
)
async def test_a_missing_or_unsafe_request_id_is_replaced(
    ops_client: httpx.AsyncClient, incoming: bytes | None
) -> None:
    headers = {} if incoming is None else {b"x-request-id": incoming}
    response = await ops_client.get("/whoami", headers=headers)

    generated = response.headers["x-request-id"]
    assert generated.encode() != incoming
    assert len(generated) == 32 and generated.isalnum()
    assert response.json() == {"request_id": generated}


async def test_an_unhandled_error_answers_500_with_the_request_id_and_is_counted(
    ops_client: httpx.AsyncClient,
) -> None:
    stream = capture_logs(json_logs=True)
    before = http_requests("GET", "/boom", "500")

    response = await ops_client.get("/boom", headers={"x-request-id": "req-boom"})

    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-boom"
    assert http_requests("GET", "/boom", "500") == before + 1
    error = next(line for line in json_lines(stream) if line["message"] == "unhandled error")
    assert error["request_id"] == "req-boom"
    assert "RuntimeError: unexpected" in error["exception"]


def capture_logs(*, json_logs: bool) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(Settings(env="test", log_json=json_logs, log_level="INFO"), stream=stream)
    return stream


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


async def test_json_log_lines_carry_the_request_id_and_extra_fields(
    ops_client: httpx.AsyncClient,
) -> None:
    stream = capture_logs(json_logs=True)

    await ops_client.get("/noisy", headers={"x-request-id": "req-123"})

    lines = json_lines(stream)
    handled = next(line for line in lines if line["message"] == "handling noisy")
    assert handled["request_id"] == "req-123"
    assert handled["item_count"] == 3
    assert handled["level"] == "INFO"
    assert handled["logger"] == "tests.observability"
    assert handled["ts"].endswith("+00:00")
    failed = next(line for line in lines if line["message"] == "noisy failed")
    assert "Traceback" in failed["exception"] and "something broke" in failed["exception"]
    access = next(line for line in lines if line["logger"] == "fiscus.access")
    assert access["request_id"] == "req-123"
    assert access["route"] == "/noisy"
    assert access["status"] == 200


async def test_text_logs_are_readable_and_carry_the_request_id(
    ops_client: httpx.AsyncClient,
) -> None:
    stream = capture_logs(json_logs=False)

    await ops_client.get("/noisy", headers={"x-request-id": "req-456"})

    line = next(line for line in stream.getvalue().splitlines() if "handling noisy" in line)
    assert "[req-456]" in line and "INFO" in line


async def test_reconfiguring_logging_does_not_duplicate_lines() -> None:
    capture_logs(json_logs=True)
    stream = capture_logs(json_logs=True)

    logging.getLogger("tests.observability").info("once")

    assert [line["message"] for line in json_lines(stream)] == ["once"]


async def test_a_websocket_handshake_gets_a_request_id() -> None:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close()

    app = RequestContextMiddleware(WebSocketRoute("/ws", endpoint))
    incoming: list[Message] = [{"type": "websocket.connect"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "path": "/ws",
        "root_path": "",
        "headers": [(b"x-request-id", b"ws-abc")],
        "query_string": b"",
        "subprotocols": [],
    }
    await app(scope, receive, send)

    accept = next(message for message in sent if message["type"] == "websocket.accept")
    assert (b"x-request-id", b"ws-abc") in accept["headers"]
