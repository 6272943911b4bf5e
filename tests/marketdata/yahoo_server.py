"""A local stand-in for Yahoo's HTTP endpoints, answering from tests/fixtures/yahoo, and a
``requests`` Session whose https:// requests go to it. yfinance runs unchanged on top."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

FIXTURES = Path(__file__).parent.parent / "fixtures" / "yahoo"


class YahooStandIn:
    def __init__(self) -> None:
        self.rate_limited = False
        self.charts: dict[str, bytes] = {
            "AAPL": (FIXTURES / "chart_AAPL_2020-08.json").read_bytes(),
        }
        self.not_found = (FIXTURES / "chart_not_found.json").read_bytes()
        self.requests: list[str] = []
        self.lock = threading.Lock()

    def chart_requests(self) -> int:
        with self.lock:
            return sum("/v8/finance/chart/" in path for path in self.requests)

    def answer(self, path: str) -> tuple[int, bytes, str]:
        with self.lock:
            self.requests.append(path)
        route = urlsplit(path).path
        if route.endswith("/v1/test/getcrumb"):
            if self.rate_limited:
                return 429, b"Too Many Requests", "text/plain"
            return 200, b"fiscus-test-crumb", "text/plain"
        if "/v8/finance/chart/" in route:
            if self.rate_limited:
                return 429, b"Too Many Requests\r\n", "text/plain"
            symbol = route.rsplit("/", 1)[-1]
            body = self.charts.get(symbol)
            if body is None:
                return 404, self.not_found, "application/json"
            return 200, body, "application/json"
        if "/v10/finance/quoteSummary/" in route:
            symbol = route.rsplit("/", 1)[-1]
            error = {"code": "Not Found", "description": f"Quote not found for symbol: {symbol}"}
            body = json.dumps({"quoteSummary": {"result": None, "error": error}}).encode()
            return 404, body, "application/json"
        return 404, b"<html>not here</html>", "text/html"


@contextlib.contextmanager
def yahoo_stand_in() -> Iterator[tuple[YahooStandIn, str]]:
    stand_in = YahooStandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, content_type = stand_in.answer(self.path)
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class ToStandIn(HTTPAdapter):
    """Sends https://HOST/PATH?QUERY to BASE/HOST/PATH?QUERY."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        request.url = f"{self.base}/{parts.hostname}{parts.path}" + (
            f"?{parts.query}" if parts.query else ""
        )
        return super().send(request, **kwargs)


def session_to(base: str) -> requests.Session:
    session = requests.Session()
    session.mount("https://", ToStandIn(base))
    return session


def chart(stand_in: YahooStandIn, symbol: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(stand_in.charts[symbol])
    return loaded
