"""Production mode over HTTP and over WebSocket: no introspection, no suggestions (neither
in validation nor in variable coercion), unexpected errors masked."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from fiscus.config import Settings
from fiscus.services.identity import queries
from tests.api.socket_client import Run, signed_up_runner
from tests.conftest import TEST_SECRET, make_settings

CHANGE_ROLE = """mutation($user: ID!, $role: Role!) {
  changeMemberRole(input: {userId: $user, role: $role}) { __typename } }"""


@pytest.fixture
def production_settings(database_url, redis_url, redis_prefix, tmp_path) -> Settings:
    # Production verifies sign-up emails (tests/api/test_authentication_enumeration.py);
    # these tests are about the transports, so the caller signs up directly.
    return make_settings(
        database_url,
        redis_prefix,
        tmp_path,
        redis_url=redis_url,
        env="production",
        auth={
            "jwt_secret": SecretStr(TEST_SECRET),
            "password_min_length": 10,
            "require_email_verification": False,
        },
    )


@pytest.fixture(params=["http", "websocket"])
async def run(request: pytest.FixtureRequest, production_settings: Settings) -> AsyncIterator[Run]:
    async with signed_up_runner(request.param, production_settings) as runner:
        yield runner


def messages(body: dict[str, Any]) -> str:
    return " ".join(error["message"] for error in body["errors"])


async def test_introspection_is_refused(run: Run) -> None:
    body = await run("{ __schema { queryType { name } } }", None)

    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"


async def test_validation_errors_do_not_suggest(run: Run) -> None:
    body = await run("{ mee { role } }", None)

    assert "mee" in messages(body)
    assert "Did you mean" not in messages(body)


async def test_variable_coercion_errors_do_not_suggest(run: Run) -> None:
    body = await run(CHANGE_ROLE, {"user": "VXNlcjox", "role": "ADMINN"})

    assert "ADMINN" in messages(body)
    assert "Did you mean" not in messages(body)
    assert "data" not in body


async def test_unexpected_errors_are_masked(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection string postgres://secret@db leaked")

    monkeypatch.setattr(queries, "my_memberships", broken)
    body = await run("{ me { memberships { role } } }", None)

    assert body["errors"][0]["message"] == "Unexpected error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "secret" not in json.dumps(body)
