"""organizationActivity over a real WebSocket against the real app under uvicorn."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from tests.api.test_members import CHANGE_ROLE, INVITE, REMOVE, join
from tests.graphql_client import sign_up
from tests.live_server import LiveServer

ACTIVITY = "subscription { organizationActivity { action subjectType details actor { email } } }"


async def subscribe(live: LiveServer, token: str, query: str = ACTIVITY):
    ws = await websockets.connect(
        f"ws://127.0.0.1:{live.port}/graphql", subprotocols=["graphql-transport-ws"]
    )
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
    return ws


async def next_payload(ws) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert message["type"] == "next", message
    return message["payload"]


async def test_members_see_their_organizations_activity_live_and_only_theirs(
    http, live, runtime, settings
):
    owner = await sign_up(http, "owner@example.com", org="Org A")
    outsider = await sign_up(http, "outsider@example.com", org="Org B")
    watching = await subscribe(live, owner.token)
    outsider_ws = await subscribe(live, outsider.token)
    await asyncio.sleep(0.2)  # both subscriptions registered with Redis

    invited = await http.post(
        "/graphql",
        json={"query": INVITE, "variables": {"email": "new@example.com", "role": "ANALYST"}},
        headers={"authorization": f"Bearer {owner.token}"},
    )
    assert invited.json()["data"]["inviteMember"]["__typename"] == "InviteMemberSuccess"

    event = await next_payload(watching)
    assert event == {
        "data": {
            "organizationActivity": {
                "action": "member.invited",
                "subjectType": "invitation",
                "details": {"email": "new@example.com", "role": "analyst"},
                "actor": {"email": "owner@example.com"},
            }
        }
    }
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(outsider_ws.recv(), 1.0)
    await watching.close()
    await outsider_ws.close()


async def test_viewers_may_not_subscribe(http, live, runtime, settings):
    owner = await sign_up(http, "owner@example.com")
    _, viewer_token = await join(
        http, runtime.queue, settings, owner, "viewer@example.com", "VIEWER"
    )
    ws = await subscribe(live, viewer_token)
    message = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "FORBIDDEN"
    await ws.close()


@pytest.mark.parametrize("change", ["remove", "demote"])
async def test_removed_or_demoted_members_are_disconnected_within_two_seconds(
    http, live, runtime, settings, change
):
    owner = await sign_up(http, "owner@example.com")
    bob, bob_token = await join(http, runtime.queue, settings, owner, "bob@example.com", "ADMIN")
    ws = await subscribe(live, bob_token)
    await asyncio.sleep(0.2)
    query, variables = (
        (REMOVE, {"user": bob.user_id})
        if change == "remove"
        else (CHANGE_ROLE, {"user": bob.user_id, "role": "MEMBER"})
    )
    started = asyncio.get_running_loop().time()
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {owner.token}"},
    )
    assert "errors" not in response.json()
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), 2.5)
    assert closed.value.rcvd.code == 4403
    assert asyncio.get_running_loop().time() - started < 2.0


async def test_a_bad_token_closes_with_4403(live):
    ws = await websockets.connect(
        f"ws://127.0.0.1:{live.port}/graphql", subprotocols=["graphql-transport-ws"]
    )
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": "Bearer nonsense"}})
    )
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 4403
