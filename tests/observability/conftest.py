"""A small Starlette app with the observability routes and middleware over the real runtime
(independent of ``fiscus.app`` wiring), plus a logging reset."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from fiscus.observability.context import request_id_var
from fiscus.observability.middleware import RequestContextMiddleware
from fiscus.observability.routes import observability_routes
from fiscus.runtime import Runtime

log = logging.getLogger("tests.observability")


async def item(request: Request) -> JSONResponse:
    return JSONResponse({"item": request.path_params["item_id"]})


async def whoami(request: Request) -> JSONResponse:
    return JSONResponse({"request_id": request_id_var.get()})


async def noisy(request: Request) -> PlainTextResponse:
    log.info("handling noisy", extra={"item_count": 3})
    try:
        raise ValueError("something broke")
    except ValueError:
        log.exception("noisy failed")
    return PlainTextResponse("done")


async def boom(request: Request) -> PlainTextResponse:
    raise RuntimeError("unexpected")


def build_app(runtime: Runtime | None) -> Starlette:
    routes = [
        *observability_routes(),
        Route("/items/{item_id:int}", item),
        Route("/whoami", whoami),
        Route("/noisy", noisy),
        Route("/boom", boom),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(RequestContextMiddleware)])
    app.state.runtime = runtime
    return app


def client_for(app: Starlette) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(
        app=app, client=("203.0.113.7", 40000), raise_app_exceptions=False
    )
    return httpx.AsyncClient(transport=transport, base_url="http://fiscus.test")


@pytest.fixture
async def ops_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(build_app(runtime)) as client:
        yield client


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
