"""/metrics of the real app: a bounded set of operation labels, and an optional token."""

from __future__ import annotations

import uuid

import httpx
from pydantic import SecretStr

from fiscus.app import create_app
from tests.conftest import make_settings, running


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return response.text


async def test_invalid_documents_do_not_mint_operation_series(client: httpx.AsyncClient) -> None:
    names = [f"Probe{uuid.uuid4().hex[:12]}" for _ in range(5)]
    for name in names:
        await client.post("/graphql", json={"query": "{ nope }", "operationName": name})
        await client.post("/graphql", json={"query": f"query {name} {{ nope }}"})

    text = await scrape(client)
    assert not [name for name in names if name in text]
    assert 'name="other",outcome="invalid"' in text


async def test_operation_labels_are_capped_per_process(
    database_url, redis_url, redis_prefix, tmp_path
) -> None:
    settings = make_settings(
        database_url,
        redis_prefix,
        tmp_path,
        redis_url=redis_url,
        metrics={"max_operation_names": 2},
    )
    names = [f"Known{uuid.uuid4().hex[:12]}" for _ in range(4)]
    async with running(create_app(settings)) as client:
        for name in names:
            response = await client.post(
                "/graphql", json={"query": f"query {name} {{ __typename }}"}
            )
            assert response.json() == {"data": {"__typename": "Query"}}
        text = await scrape(client)

    assert [name in text for name in names] == [True, True, False, False]
    assert 'name="other",outcome="ok"' in text


async def test_metrics_can_require_a_bearer_token(
    database_url, redis_url, redis_prefix, tmp_path
) -> None:
    settings = make_settings(
        database_url,
        redis_prefix,
        tmp_path,
        redis_url=redis_url,
        metrics={"token": SecretStr("scrape-me-" + "s" * 20)},
    )
    async with running(create_app(settings)) as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"authorization": "Bearer nope"})
        right = await client.get(
            "/metrics", headers={"authorization": "Bearer scrape-me-" + "s" * 20}
        )

    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "fiscus_" not in missing.text
    assert right.status_code == 200 and "fiscus_http_requests_total" in right.text


async def test_metrics_stay_open_without_a_token(client: httpx.AsyncClient) -> None:
    assert "fiscus_http_requests_total" in await scrape(client)
