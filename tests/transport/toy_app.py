"""A toy schema and app wrapped by ``GraphQLHTTPEndpoint``, plus a loopback uvicorn runner."""

from __future__ import annotations

import enum
import socket
import threading
import time
from pathlib import Path
from typing import Any

import strawberry
import uvicorn
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount

from fiscus.schema.limits import QueryLimits
from fiscus.transport.graphiql import assets_app, graphiql_html
from fiscus.transport.http import GraphQLHTTPEndpoint


@strawberry.enum
class Currency(enum.Enum):
    USD = "USD"
    EUR = "EUR"


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"Hello, {name}!"

    @strawberry.field
    def price(self, currency: Currency) -> str:
        return f"1.00 {currency.value}"

    @strawberry.field
    def boom(self) -> str | None:
        raise RuntimeError("database password is hunter2")

    @strawberry.field
    def forbidden(self) -> str | None:
        raise GraphQLError("You may not read this.", extensions={"code": "FORBIDDEN"})

    @strawberry.field
    def authorization(self, info: strawberry.Info) -> str | None:
        value: str | None = info.context["authorization"]
        return value


@strawberry.type
class Mutation:
    @strawberry.mutation
    def touch(self) -> int:
        return 1


def toy_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query, mutation=Mutation)


async def toy_context(request: Request) -> dict[str, Any]:
    return {"authorization": request.headers.get("authorization")}


def build_app(
    *,
    production: bool = False,
    graphiql: bool = True,
    asset_dir: Path | None = None,
    limits: QueryLimits | None = None,
) -> Starlette:
    endpoint = GraphQLHTTPEndpoint(
        toy_schema(),
        context_factory=toy_context,
        graphiql_html=graphiql_html() if graphiql else None,
        limits=limits or QueryLimits(),
        production=production,
    )
    routes: list[BaseRoute] = [endpoint.route()]
    if asset_dir is not None:
        routes.append(Mount("/graphql/assets", app=assets_app(asset_dir)))
    return Starlette(routes=routes)


class LiveServer:
    def __init__(self, app: Starlette) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="none")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
