from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from fiscus.observability.context import request_id_var
from fiscus.observability.metrics import REGISTRY
from fiscus.schema.limits import QueryLimits
from fiscus.transport.http import negotiate_media_type
from tests.transport.toy_app import build_app

GQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


async def post(
    client: httpx.AsyncClient, body: dict[str, Any], accept: str = GQL_RESPONSE
) -> httpx.Response:
    return await client.post("/graphql", json=body, headers={"Accept": accept})


async def test_query_returns_data_with_the_requested_media_type(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, {"query": '{ hello(name: "Ada") }'})
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GQL_RESPONSE}; charset=utf-8"
    assert response.json() == {"data": {"hello": "Hello, Ada!"}}


async def test_get_query_with_json_encoded_variables(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={"query": "query($n: String!) { hello(name: $n) }", "variables": '{"n": "Bo"}'},
        headers={"Accept": JSON},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{JSON}; charset=utf-8"
    assert response.json() == {"data": {"hello": "Hello, Bo!"}}


async def test_mutation_over_get_is_405_with_allow_post(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": "mutation { touch }"}, headers={"Accept": GQL_RESPONSE}
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "data" not in response.json()


async def test_unacceptable_accept_header_is_406(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ hello }"}, accept="text/plain")
    assert response.status_code == 406


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("*/*", JSON),
        (JSON, JSON),
        (GQL_RESPONSE, GQL_RESPONSE),
        (f"{JSON}, {GQL_RESPONSE}", GQL_RESPONSE),
        (f"{GQL_RESPONSE};q=0.5, {JSON}", JSON),
        (f"{JSON};q=0, text/html", None),
    ],
)
def test_media_type_negotiation(accept: str | None, expected: str | None) -> None:
    assert negotiate_media_type(accept) == expected


async def test_post_without_json_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        content="query=%7B%20hello%20%7D",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b'{"query": ',
        b'["not", "an", "object"]',
        b'{"query": 1}',
        b'{"notquery": "{ hello }"}',
        b'{"query": "{ hello }", "variables": "x"}',
        b'{"query": "{ hello }", "operationName": 3}',
    ],
)
async def test_malformed_requests_are_400_under_both_media_types(
    client: httpx.AsyncClient, body: bytes
) -> None:
    for accept in (GQL_RESPONSE, JSON):
        response = await client.post(
            "/graphql", content=body, headers={"Content-Type": JSON, "Accept": accept}
        )
        assert response.status_code == 400, (body, accept)
        assert "data" not in response.json()


async def test_syntax_error_is_400_without_data_under_graphql_response_json(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, {"query": "{ hello"})
    assert response.status_code == 400
    payload = response.json()
    assert "data" not in payload
    assert payload["errors"][0]["message"].startswith("Syntax Error")


async def test_syntax_and_validation_errors_keep_200_under_legacy_json(
    client: httpx.AsyncClient,
) -> None:
    for query in ("{ hello", "{ nope }"):
        response = await post(client, {"query": query}, accept=JSON)
        assert response.status_code == 200
        assert "data" not in response.json()


async def test_variable_coercion_failure_is_a_request_error(client: httpx.AsyncClient) -> None:
    body = {"query": "query($c: Currency!) { price(currency: $c) }", "variables": {"c": "GBP"}}
    strict = await post(client, body)
    legacy = await post(client, body, accept=JSON)
    assert strict.status_code == 400
    assert legacy.status_code == 200
    for response in (strict, legacy):
        payload = response.json()
        assert "data" not in payload
        assert "$c" in payload["errors"][0]["message"]


async def test_unexpected_errors_are_masked_and_logged_with_request_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    token = request_id_var.set("req-42")
    try:
        with caplog.at_level(logging.ERROR, logger="fiscus.graphql"):
            response = await post(client, {"query": "{ hello boom forbidden }"})
    finally:
        request_id_var.reset(token)
    assert response.status_code == 200
    payload = response.json()
    assert payload["data"] == {"hello": "Hello, world!", "boom": None, "forbidden": None}
    errors = {tuple(error["path"]): error for error in payload["errors"]}
    assert errors[("boom",)] == {
        "message": "Unexpected error.",
        "locations": [{"line": 1, "column": 9}],
        "path": ["boom"],
        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
    }
    assert errors[("forbidden",)]["message"] == "You may not read this."
    assert errors[("forbidden",)]["extensions"] == {"code": "FORBIDDEN"}
    assert "hunter2" not in response.text
    ours = [r for r in caplog.records if r.name == "fiscus.graphql"]
    assert len(ours) == 1
    assert "req-42" in ours[0].getMessage()
    assert ours[0].exc_info is not None and "hunter2" in str(ours[0].exc_info[1])


async def test_operations_are_counted(client: httpx.AsyncClient) -> None:
    labels = {"type": "query", "name": "Counted", "outcome": "ok"}
    before = REGISTRY.get_sample_value("fiscus_graphql_operations_total", labels) or 0.0
    await post(client, {"query": "query Counted { hello }"})
    assert REGISTRY.get_sample_value("fiscus_graphql_operations_total", labels) == before + 1


async def test_document_over_the_byte_limit_is_413() -> None:
    app = build_app(limits=QueryLimits(max_document_bytes=50))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await post(client, {"query": "{ hello }" + " " * 60})
    assert response.status_code == 413
    assert "50 bytes" in response.json()["errors"][0]["message"]


async def test_subscriptions_are_refused_over_http(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "subscription { hello }"})
    assert response.status_code == 400


async def test_browser_get_receives_graphiql_with_csp(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert "graphiql" in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]


async def test_production_hides_introspection_and_suggestions(
    production_client: httpx.AsyncClient,
) -> None:
    page = await production_client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 406
    introspection = await post(production_client, {"query": "{ __schema { types { name } } }"})
    assert introspection.status_code == 400
    assert introspection.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    typename = await post(production_client, {"query": "{ __typename }"})
    assert typename.json() == {"data": {"__typename": "Query"}}
    typo = await post(production_client, {"query": "{ helo }"})
    bad_enum = await post(
        production_client,
        {"query": "query($c: Currency!) { price(currency: $c) }", "variables": {"c": "usd"}},
    )
    for response in (typo, bad_enum):
        assert response.status_code == 400
        assert "Did you mean" not in response.text


async def test_development_still_suggests(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": "{ helo }"})
    assert "Did you mean" in response.text


async def test_strawberry_does_not_parse_or_validate_a_second_time(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import strawberry.schema.schema as strawberry_schema

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("strawberry parsed or validated again")

    monkeypatch.setattr(strawberry_schema, "parse", refuse)
    monkeypatch.setattr(strawberry_schema, "validate_document", refuse)
    response = await post(client, {"query": '{ hello(name: "once") }'})
    assert response.json() == {"data": {"hello": "Hello, once!"}}
