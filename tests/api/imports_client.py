"""Uploading statements the way a browser client does: a GraphQL multipart request with
the preflight-forcing header; the real worker then imports them."""

from __future__ import annotations

import json
from typing import Any

import httpx

from fiscus.config import Settings
from fiscus.workers.settings import run_worker

IMPORT = """mutation($input: ImportStatementInput!) { importStatement(input: $input) {
  __typename
  ... on ImportStatementSuccess { import { id status fileName } }
  ... on ValidationError { code field problems { field code message } }
  ... on UserError { code field message } } }"""
TEMPLATE = """mutation { applyAccountTemplate(input: {template: "household", currency: "USD"})
  { __typename ... on ChartSuccess { accounts { id code } } } }"""


async def chart(client: httpx.AsyncClient, token: str) -> dict[str, str]:
    response = await client.post(
        "/graphql", json={"query": TEMPLATE}, headers={"authorization": f"Bearer {token}"}
    )
    accounts = response.json()["data"]["applyAccountTemplate"]["accounts"]
    return {a["code"]: a["id"] for a in accounts}


async def upload(
    client: httpx.AsyncClient,
    token: str,
    variables: dict[str, Any],
    data: bytes,
    *,
    file_name: str = "statement.csv",
    query: str = IMPORT,
    preflight: bool = True,
) -> httpx.Response:
    operations = {"query": query, "variables": {"input": {**variables, "file": None}}}
    headers = {"authorization": f"Bearer {token}", "accept": "application/graphql-response+json"}
    if preflight:
        headers["graphql-require-preflight"] = "1"
    return await client.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (file_name, data, "text/csv")},
        headers=headers,
    )


async def import_statement(
    client: httpx.AsyncClient, token: str, variables: dict[str, Any], data: bytes, **kwargs: Any
) -> dict[str, Any]:
    response = await upload(client, token, variables, data, **kwargs)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]["importStatement"]
    return result


async def run_jobs(settings: Settings) -> None:
    """The real worker runs every queued job (imports, trainings) and stops."""
    await run_worker(settings, burst=True)
