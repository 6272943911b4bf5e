"""What the WebSocket transport of the real app must hold: the caller's address on every
operation, the caller's *current* role on every operation, and bounded memory for
documents it refuses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from fiscus.app import create_app
from fiscus.transport.websocket.connection import Connection
from tests.api.socket_client import closed_with, connect, execute, result_of, subscribe_message
from tests.api.test_members import CHANGE_ROLE, MEMBERS, join
from tests.conftest import TEST_SECRET, make_settings
from tests.graphql_client import LOG_IN, gql, sign_up
from tests.live_server import LiveServer

ACTIVITY = "subscription { organizationActivity { action } }"
AUDIT = "{ auditLog(first: 10) { edges { node { action } } } }"
AUDIT_BY_ACTIONS = (
    "query($v: [String!]) { auditLog(filter: {actions: $v}) { edges { node { action } } } }"
)


@pytest.fixture
def throttled_live(database_url, redis_url, redis_prefix, tmp_path) -> Iterator[LiveServer]:
    settings = make_settings(
        database_url,
        redis_prefix,
        tmp_path,
        redis_url=redis_url,
        auth={
            "jwt_secret": SecretStr(TEST_SECRET),
            "password_min_length": 10,
            "login_max_failures_per_address": 3,
            "login_max_failures_per_account": 100,
        },
    )
    with LiveServer(create_app(settings), lifespan="on", ws="websockets-sansio") as server:
        yield server


async def test_wrong_password_logins_over_a_socket_count_against_the_address_limit(
    throttled_live: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=throttled_live.url) as http:
        account = await sign_up(http, "ada@example.com")
    ws = await connect(throttled_live, account.token)

    answers = []
    for n in range(4):  # a different account each time: only the address limit can apply
        variables = {"input": {"email": f"victim{n}@example.com", "password": "wrong" * 3}}
        answers.append((await execute(ws, LOG_IN, variables))["data"]["logIn"])
    await ws.close()

    assert [a["__typename"] for a in answers[:3]] == ["AuthenticationError"] * 3
    assert answers[3]["__typename"] == "RateLimitedError", answers[3]


@pytest.fixture
def access_watch_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The socket's access watch closes it within milliseconds of a demotion; switched off
    here so the per-operation check is shown to stand on its own (it also covers the window
    before the watch's event arrives)."""

    async def idle(self: Connection, principal: Any) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(Connection, "_close_when_access_revoked", idle)


async def test_a_demoted_admin_is_refused_on_the_already_open_socket(
    http, live, runtime, settings, access_watch_off
) -> None:
    owner = await sign_up(http, "owner@example.com")
    admin, admin_token = await join(http, runtime.queue, settings, owner, "admin@ex.com", "ADMIN")
    ws = await connect(live, admin_token)
    before = await execute(ws, MEMBERS)
    assert before["data"]["organization"]["members"]["totalCount"] == 2

    changed = await gql(
        http, CHANGE_ROLE, {"user": admin.user_id, "role": "VIEWER"}, token=owner.token
    )
    assert changed["data"]["changeMemberRole"]["member"]["role"] == "VIEWER"
    members = await execute(ws, MEMBERS)
    audit = await execute(ws, AUDIT)
    me = await execute(ws, "{ me { role } }")
    await ws.close()

    assert members["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert members["data"] is None
    assert audit["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert me["data"]["me"]["role"] == "VIEWER"


async def test_a_demoted_admin_may_not_start_a_subscription_on_the_open_socket(
    http, live, runtime, settings, access_watch_off
) -> None:
    owner = await sign_up(http, "owner@example.com")
    admin, admin_token = await join(http, runtime.queue, settings, owner, "admin@ex.com", "ADMIN")
    ws = await connect(live, admin_token)
    changed = await gql(
        http, CHANGE_ROLE, {"user": admin.user_id, "role": "VIEWER"}, token=owner.token
    )
    assert changed["data"]["changeMemberRole"]["member"]["role"] == "VIEWER"

    await ws.send(json.dumps(subscribe_message("activity", ACTIVITY)))
    refused = await result_of(ws, "activity")
    await ws.close()

    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_ended_session_refuses_the_operation_and_closes_the_socket(
    http, live, access_watch_off
) -> None:
    account = await sign_up(http, "ada@example.com")
    ws = await connect(live, account.token)
    logged_out = await gql(
        http, "mutation { logOut(input: {}) { __typename } }", token=account.token
    )
    assert "errors" not in logged_out, logged_out

    refused = await execute(ws, "{ me { role } }")

    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await closed_with(ws) == 4403


@pytest.fixture
def served_app(settings) -> Iterator[tuple[LiveServer, Starlette]]:
    app = create_app(settings)
    with LiveServer(app, lifespan="on", ws="websockets-sansio") as server:
        yield server, app


async def test_an_oversized_document_is_refused_and_never_cached(served_app) -> None:
    live, app = served_app
    async with httpx.AsyncClient(base_url=live.url) as http:
        account = await sign_up(http, "ada@example.com")
    ws = await connect(live, account.token)
    documents = app.state.graphql_ws.documents
    assert (await execute(ws, "{ me { role } }"))["data"]["me"]["role"] == "OWNER"
    cached_bytes, cached_entries = documents.bytes, len(documents)

    huge = "{ me { role } }" + " " * 300_000 + "# padding"
    for _ in range(5):
        refused = await execute(ws, huge)
        assert refused["errors"][0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"
    junk = await execute(ws, "{ me { role } " + "}" * 5_000)

    assert junk["errors"][0]["message"].startswith("Syntax Error")
    assert (documents.bytes, len(documents)) == (cached_bytes, cached_entries)
    assert (await execute(ws, "{ me { role } }"))["data"]["me"]["role"] == "OWNER"
    await ws.close()


async def test_a_message_over_the_size_cap_closes_the_socket_with_1009(http, live) -> None:
    account = await sign_up(http, "ada@example.com")
    ws = await connect(live, account.token)
    query = "{ me { role } }" + " " * 2_000_000
    await ws.send(json.dumps(subscribe_message("big", query)))

    assert await closed_with(ws) == 1009


@pytest.mark.parametrize(
    "raw",
    [
        # 3,000 levels of nesting in the variables: json.loads raises RecursionError
        '{"id":"1","type":"subscribe","payload":{"query":"{ me { role } }","variables":{"v":'
        + "[" * 3000
        + "]" * 3000
        + "}}}",
    ],
)
async def test_deeply_nested_variables_close_the_socket_as_a_protocol_error(
    http, live, raw: str
) -> None:
    account = await sign_up(http, "ada@example.com")
    ws = await connect(live, account.token)
    await ws.send(raw)

    assert await closed_with(ws) == 4400


async def test_nested_variables_and_lone_surrogates_get_error_frames(http, live) -> None:
    account = await sign_up(http, "ada@example.com")
    ws = await connect(live, account.token)
    nested: Any = "x"
    for _ in range(200):
        nested = [nested]

    deep = await execute(ws, AUDIT_BY_ACTIONS, {"v": nested})
    await ws.send('{"id":"s","type":"subscribe","payload":{"query":"{ __typename } # \\ud800"}}')
    surrogate = await result_of(ws, "s")
    message = subscribe_message("t", AUDIT_BY_ACTIONS, {"v": ["SURROGATE"]})
    await ws.send(json.dumps(message).replace("SURROGATE", "\\udc00"))
    in_variable = await result_of(ws, "t")
    still_open = await execute(ws, "{ me { role } }")
    await ws.close()

    assert deep["errors"][0]["extensions"]["code"] == "INPUT_TOO_DEEP"
    assert "lone surrogate" in surrogate["errors"][0]["message"]
    assert "lone surrogate" in in_variable["errors"][0]["message"]
    assert still_open["data"]["me"]["role"] == "OWNER"
