"""A small GraphQL client for tests, speaking to the ASGI app over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    __typename
    ... on AuthPayload { accessToken refreshToken role user { id email } organization { id name } }
    ... on UserError { code field message }
  }
}
"""

LOG_IN = """
mutation LogIn($input: LogInInput!) {
  logIn(input: $input) {
    __typename
    ... on AuthPayload { accessToken refreshToken role user { id } organization { id name } }
    ... on UserError { code field message }
    ... on RateLimitedError { retryAfterSeconds }
  }
}
"""

PASSWORD = "correct horse battery staple"


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> dict[str, Any]:
    headers = {"accept": "application/graphql-response+json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    body: dict[str, Any] = response.json()
    return body


@dataclass
class Account:
    email: str
    token: str
    refresh_token: str
    user_id: str
    org_id: str


async def sign_up(
    client: httpx.AsyncClient, email: str, *, org: str = "Acme", name: str = "Ada"
) -> Account:
    body = await gql(
        client,
        SIGN_UP,
        {
            "input": {
                "email": email,
                "password": PASSWORD,
                "displayName": name,
                "organizationName": org,
            }
        },
    )
    payload = body["data"]["signUp"]
    assert payload["__typename"] == "AuthPayload", body
    return Account(
        email,
        payload["accessToken"],
        payload["refreshToken"],
        payload["user"]["id"],
        payload["organization"]["id"],
    )


async def log_in(
    client: httpx.AsyncClient,
    email: str,
    password: str = PASSWORD,
    organization_id: str | None = None,
) -> dict[str, Any]:
    body = await gql(
        client,
        LOG_IN,
        {
            "input": {
                "email": email,
                "password": password,
                "organizationId": organization_id,
            }
        },
    )
    result: dict[str, Any] = body["data"]["logIn"]
    return result
