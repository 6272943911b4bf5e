"""Inputs that used to end in a 500 or a masked error: deep JSON, lone surrogates, huge
lists. Each is a request error naming what is wrong, on every transport."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from fiscus.app import create_app
from fiscus.config import Settings
from tests.api.socket_client import Run, signed_up_runner
from tests.conftest import make_settings, running
from tests.graphql_client import sign_up

AUDIT_BY_ACTIONS = """query($filter: AuditLogFilter) {
  auditLog(first: 5, filter: $filter) { edges { node { action } } } }"""
GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, "application/json"])
async def test_deeply_nested_variables_are_a_400(client: httpx.AsyncClient, accept: str) -> None:
    body = '{"query": "{ __typename }", "variables": {"v": ' + "[" * 3000 + "]" * 3000 + "}}"
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json", "accept": accept}
    )

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, "application/json"])
async def test_a_lone_surrogate_in_the_query_is_a_400(
    client: httpx.AsyncClient, accept: str
) -> None:
    body = '{"query": "{ __typename } # \\ud800"}'
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json", "accept": accept}
    )

    assert response.status_code == 400
    assert "not valid Unicode" in response.json()["errors"][0]["message"]


@pytest.fixture(params=["http", "websocket"])
async def run(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Run]:
    async with signed_up_runner(request.param, settings) as runner:
        yield runner


async def test_a_huge_list_variable_is_refused_naming_its_path(run: Run) -> None:
    started = time.perf_counter()
    body = await run(AUDIT_BY_ACTIONS, {"filter": {"actions": ["x"] * 100_000}})

    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "LIST_INPUT_TOO_LONG"
    assert "$filter.actions has 100000 items" in body["errors"][0]["message"]
    assert time.perf_counter() - started < 1.5


async def test_a_huge_literal_list_is_refused(run: Run) -> None:
    actions = ", ".join(['"x"'] * 1_001)
    body = await run(
        f"{{ auditLog(filter: {{actions: [{actions}]}}) {{ edges {{ cursor }} }} }}", None
    )

    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "LIST_INPUT_TOO_LONG"


async def test_nesting_deeper_than_the_limit_is_refused(run: Run) -> None:
    nested: Any = "x"
    for _ in range(40):
        nested = [nested]
    body = await run(AUDIT_BY_ACTIONS, {"filter": {"actions": nested}})

    assert body["errors"][0]["extensions"]["code"] == "INPUT_TOO_DEEP"


async def test_a_long_list_filter_is_bound_as_one_array_parameter(
    database_url, redis_url, redis_prefix, tmp_path
) -> None:
    """Beyond PostgreSQL's 32,767 bind parameters: only one array parameter can carry it."""
    settings = make_settings(
        database_url,
        redis_prefix,
        tmp_path,
        redis_url=redis_url,
        graphql={"max_list_input": 50_000},
    )
    async with running(create_app(settings)) as client:
        account = await sign_up(client, "ada@example.com")
        actions = [f"a{n}" for n in range(40_000)] + ["organization.created"]
        response = await client.post(
            "/graphql",
            content=json.dumps(
                {"query": AUDIT_BY_ACTIONS, "variables": {"filter": {"actions": actions}}}
            ),
            headers={
                "content-type": "application/json",
                "authorization": f"Bearer {account.token}",
            },
        )

    body = response.json()
    assert "errors" not in body, body
    assert [e["node"]["action"] for e in body["data"]["auditLog"]["edges"]] == [
        "organization.created"
    ]
