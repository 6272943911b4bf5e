"""importProgress over a real WebSocket against the real app under uvicorn: the import's
state at once, then every step the worker publishes until DONE (then the stream completes);
another organization subscribing to the import id hears nothing of it."""

from __future__ import annotations

import asyncio
import json

from tests.api.imports_client import chart, import_statement, run_jobs
from tests.api.test_organization_activity import subscribe
from tests.graphql_client import sign_up
from tests.services.imports_fixtures import fixture

PROGRESS = """subscription($id: ID!) { importProgress(importId: $id) {
  importId status rows processed created duplicates skipped failed } }"""


async def subscribe_progress(live, token: str, import_id: str):
    ws = await subscribe(live, token, "subscription { __typename }")
    await ws.send(
        json.dumps(
            {
                "id": "p",
                "type": "subscribe",
                "payload": {"query": PROGRESS, "variables": {"id": import_id}},
            }
        )
    )
    return ws


async def messages_of(ws, op_id: str, until: str = "complete", within: float = 15) -> list:
    found = []
    async with asyncio.timeout(within):
        while True:
            message = json.loads(await ws.recv())
            if message.get("id") != op_id:
                continue
            found.append(message)
            if message["type"] in (until, "error"):
                return found


async def test_progress_arrives_until_done_and_never_in_another_organization(http, live, settings):
    a = await sign_up(http, "a@example.com", org="Org A")
    b = await sign_up(http, "b@example.com", org="Org B")
    codes = await chart(http, a.token)
    started = await import_statement(
        http, a.token, {"accountId": codes["1010"]}, fixture("chase_checking.csv")
    )
    import_id = started["import"]["id"]
    watching = await subscribe_progress(live, a.token, import_id)
    first = json.loads(await asyncio.wait_for(watching.recv(), 5))
    while first.get("id") != "p":
        first = json.loads(await asyncio.wait_for(watching.recv(), 5))
    assert first["payload"]["data"]["importProgress"]["status"] == "QUEUED"
    stranger = await subscribe_progress(live, b.token, import_id)
    refused = await messages_of(stranger, "p", until="complete")
    assert refused == [
        {
            "id": "p",
            "type": "next",
            "payload": {
                "data": None,
                "errors": [
                    {
                        "message": "No such import.",
                        "extensions": {"code": "NOT_FOUND", "argument": "importId"},
                    }
                ],
            },
        },
        {"id": "p", "type": "complete"},
    ]
    await asyncio.sleep(0.2)  # the subscription is registered with Redis

    await run_jobs(settings)
    seen = await messages_of(watching, "p")
    states = [m["payload"]["data"]["importProgress"] for m in seen if m["type"] == "next"]
    assert states[0]["status"] == "RUNNING"
    assert states[-1] == {
        "importId": import_id,
        "status": "DONE",
        "rows": 8,
        "processed": 7,
        "created": 7,
        "duplicates": 0,
        "skipped": 1,
        "failed": 0,
    }
    assert seen[-1]["type"] == "complete"
    await watching.close()
    await stranger.close()
