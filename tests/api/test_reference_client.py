"""The reference graphql-ws client -- the one GraphiQL uses -- against the real app."""

from __future__ import annotations

import asyncio
import json

from tests.api.test_members import INVITE
from tests.graphql_client import sign_up
from tests.node_clients import ensure_installed, node

ACTIVITY = "subscription { organizationActivity { action details actor { email } } }"


async def test_graphiqls_client_receives_organization_activity(http, live):
    owner = await sign_up(http, "owner@example.com")
    script = ensure_installed() / "subscribe.mjs"
    process = await asyncio.create_subprocess_exec(
        node(),
        str(script),
        f"ws://127.0.0.1:{live.port}/graphql",
        owner.token,
        ACTIVITY,
        "1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    connected = json.loads(await asyncio.wait_for(process.stdout.readline(), 15))
    assert connected == {"connected": True}
    await asyncio.sleep(0.3)  # the subscribe message reaches the server
    invited = await http.post(
        "/graphql",
        json={"query": INVITE, "variables": {"email": "new@example.com", "role": "VIEWER"}},
        headers={"authorization": f"Bearer {owner.token}"},
    )
    assert invited.json()["data"]["inviteMember"]["__typename"] == "InviteMemberSuccess"
    stdout, stderr = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0, stderr.decode()
    event = json.loads(stdout.decode().strip().splitlines()[-1])
    assert event == {
        "data": {
            "organizationActivity": {
                "action": "member.invited",
                "details": {"email": "new@example.com", "role": "viewer"},
                "actor": {"email": "owner@example.com"},
            }
        }
    }
