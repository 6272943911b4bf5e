"""A toy schema and app wrapped by ``GraphQLHTTPEndpoint``."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount

from fiscus.schema.limits import QueryLimits
from fiscus.transport.graphiql import assets_app, graphiql_html
from fiscus.transport.http import GraphQLHTTPEndpoint
from tests.live_server import LiveServer

__all__ = ["LiveServer", "build_app"]


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
