"""What production mode hides, and how unexpected failures look to a client."""

from __future__ import annotations

import logging

import pytest

from fiscus.app import create_app
from fiscus.services.identity import queries
from tests.conftest import make_settings, running
from tests.graphql_client import gql, sign_up


@pytest.fixture
async def production_client(database_url, redis_url, redis_prefix, tmp_path):
    settings = make_settings(
        database_url, redis_prefix, tmp_path, redis_url=redis_url, env="production"
    )
    async with running(create_app(settings)) as client:
        yield client


async def test_production_hides_introspection_suggestions_and_graphiql(production_client):
    introspection = await gql(production_client, "{ __schema { types { name } } }")
    assert "data" not in introspection
    assert introspection["errors"]
    typo = await gql(production_client, "{ mee { role } }")
    message = " ".join(e["message"] for e in typo["errors"])
    assert "mee" in message and "Did you mean" not in message
    page = await production_client.get("/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in page.text.lower()


async def test_development_offers_suggestions_and_introspection(client):
    typo = await gql(client, "{ mee { role } }")
    assert "Did you mean" in typo["errors"][0]["message"]
    introspection = await gql(client, "{ __schema { queryType { name } } }")
    assert introspection["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_unexpected_errors_are_masked_and_logged_with_the_request_id(
    client, monkeypatch, caplog
):
    account = await sign_up(client, "ada@example.com")

    async def broken(*args, **kwargs):
        raise RuntimeError("connection string postgres://secret@db leaked")

    monkeypatch.setattr(queries, "my_memberships", broken)
    with caplog.at_level(logging.ERROR):
        response = await client.post(
            "/graphql",
            json={"query": "{ me { memberships { role } } }"},
            headers={"authorization": f"Bearer {account.token}", "x-request-id": "req-42"},
        )
    body = response.json()
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "secret" not in response.text
    assert "postgres://secret@db" in caplog.text
    assert response.headers["x-request-id"] == "req-42"
    logged = [
        r
        for r in caplog.records
        if "postgres://secret@db" in r.getMessage()
        or (r.exc_info and "postgres://secret@db" in str(r.exc_info[1]))
    ]
    assert logged and all(getattr(r, "request_id", None) == "req-42" for r in logged)
