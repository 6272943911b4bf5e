from __future__ import annotations

import pytest
import strawberry
from graphql import GraphQLError, get_introspection_query, parse, validate

from fiscus.config import GraphQLSettings
from fiscus.schema.limits import (
    DocumentTooLargeError,
    QueryLimits,
    parse_document,
    validation_rules,
)


@strawberry.type
class Item:
    name: str

    @strawberry.field
    def children(self, first: int | None = None) -> list[Item]:
        return []


@strawberry.type
class ItemEdge:
    node: Item


@strawberry.type
class ItemConnection:
    total: int
    edges: list[ItemEdge]


@strawberry.type
class Query:
    @strawberry.field
    def item(self) -> Item:
        return Item(name="a")

    @strawberry.field
    def items(self, first: int | None = None) -> list[Item]:
        return []

    @strawberry.field
    def item_connection(self, first: int | None = None) -> ItemConnection:
        return ItemConnection(total=0, edges=[])


SCHEMA = strawberry.Schema(query=Query)


def errors_for(query: str, limits: QueryLimits, *, production: bool = False) -> list[GraphQLError]:
    rules = validation_rules(limits, production)
    return validate(SCHEMA._schema, parse(query), rules, hide_suggestions=production)


def codes(query: str, limits: QueryLimits, *, production: bool = False) -> list[str]:
    errors = errors_for(query, limits, production=production)
    return [str((e.extensions or {}).get("code", "GRAPHQL_VALIDATION_FAILED")) for e in errors]


def test_limits_come_from_settings() -> None:
    settings = GraphQLSettings(max_depth=3, max_aliases=4, max_cost=5, max_page_size=6)
    limits = QueryLimits.from_settings(settings)
    assert (limits.max_depth, limits.max_aliases, limits.max_cost) == (3, 4, 5)
    assert limits.default_page_size == 6
    assert limits.max_tokens == settings.max_tokens
    assert limits.max_document_bytes == settings.max_document_bytes


def test_depth_at_the_limit_passes_and_one_more_level_fails() -> None:
    limits = QueryLimits(max_depth=3)
    assert codes("{ item { children(first: 1) { name } } }", limits) == []
    assert codes("{ item { children(first: 1) { children(first: 1) { name } } } }", limits) == [
        "MAX_DEPTH_EXCEEDED"
    ]


def test_depth_counts_through_fragments() -> None:
    query = (
        "{ item { ...Deep } } "
        "fragment Deep on Item { children(first: 1) { children(first: 1) { name } } }"
    )
    assert codes(query, QueryLimits(max_depth=4)) == []
    assert codes(query, QueryLimits(max_depth=3)) == ["MAX_DEPTH_EXCEEDED"]


FRAGMENT_WITH_TEN_ALIASES = (
    "fragment Ten on Item { " + " ".join(f"n{i}: name" for i in range(10)) + " }"
)
SPREAD_FIVE_TIMES = "{ item { ...Ten ...Ten ...Ten ...Ten ...Ten } } " + FRAGMENT_WITH_TEN_ALIASES


def test_aliases_count_every_fragment_spread() -> None:
    assert codes(SPREAD_FIVE_TIMES, QueryLimits(max_aliases=50)) == []
    assert codes(SPREAD_FIVE_TIMES, QueryLimits(max_aliases=49)) == ["MAX_ALIASES_EXCEEDED"]


def test_cost_multiplies_list_fields_by_first_or_the_default_page_size() -> None:
    assert codes("{ items(first: 10) { name } }", QueryLimits(max_cost=11)) == []
    assert codes("{ items(first: 10) { name } }", QueryLimits(max_cost=10)) == ["MAX_COST_EXCEEDED"]
    nested = "{ items { children(first: 5) { name } } }"  # 1 + 100 * (1 + 5 * 1)
    assert codes(nested, QueryLimits(max_cost=601)) == []
    assert codes(nested, QueryLimits(max_cost=600)) == ["MAX_COST_EXCEEDED"]


def test_connection_edges_are_not_multiplied_twice() -> None:
    query = "{ itemConnection(first: 20) { total edges { node { name } } } }"  # 1 + 20 * 4
    assert codes(query, QueryLimits(max_cost=81)) == []
    assert codes(query, QueryLimits(max_cost=80)) == ["MAX_COST_EXCEEDED"]


def test_token_limit_is_enforced_by_the_parser() -> None:
    query = "{ " + " ".join(["item { name }"] * 20) + " }"
    limit = next(n for n in range(1, 500) if _parses(query, QueryLimits(max_tokens=n)))
    assert _parses(query, QueryLimits(max_tokens=limit))
    with pytest.raises(GraphQLError, match="tokens"):
        parse_document(query, QueryLimits(max_tokens=limit - 1))


def _parses(query: str, limits: QueryLimits) -> bool:
    try:
        parse_document(query, limits)
    except GraphQLError:
        return False
    return True


def test_document_size_is_measured_in_bytes_before_parsing() -> None:
    query = "{ item { name } } # café"
    size = len(query.encode("utf-8"))
    assert size == len(query) + 1
    parse_document(query, QueryLimits(max_document_bytes=size))
    with pytest.raises(DocumentTooLargeError, match=f"{size} bytes"):
        parse_document(query, QueryLimits(max_document_bytes=size - 1))
    with pytest.raises(DocumentTooLargeError):
        parse_document("{" * 10_000, QueryLimits(max_document_bytes=100))


def test_graphiql_introspection_query_fits_the_default_limits() -> None:
    limits = QueryLimits.from_settings(GraphQLSettings())
    assert codes(get_introspection_query(descriptions=True), limits) == []


def test_production_rejects_introspection_but_allows_typename() -> None:
    limits = QueryLimits()
    assert codes("{ __schema { queryType { name } } }", limits, production=True) == [
        "INTROSPECTION_DISABLED"
    ]
    assert codes('{ __type(name: "Item") { name } }', limits, production=True) == [
        "INTROSPECTION_DISABLED"
    ]
    assert codes("{ __typename item { __typename } }", limits, production=True) == []
    assert codes("{ __schema { queryType { name } } }", limits) == []


@pytest.mark.parametrize(
    "query",
    [
        "{ itme { name } }",
        "{ item { nmae } }",
        "{ items(frist: 1) { name } }",
        "query($x: Itme) { item { name } }",
    ],
)
def test_production_errors_never_suggest(query: str) -> None:
    development = errors_for(query, QueryLimits())
    production = errors_for(query, QueryLimits(), production=True)
    assert any("Did you mean" in e.message for e in development)
    assert production
    assert not any("Did you mean" in e.message for e in production)
