"""ledgerActivity over a real WebSocket against the real app under uvicorn: a posted entry
arrives after its commit (the subscription reads it back from the books), and another
organization's postings never do."""

from __future__ import annotations

import asyncio

import pytest

from tests.api.test_ledger_api import POST, entry_input
from tests.api.test_organization_activity import next_payload, subscribe
from tests.graphql_client import sign_up

ACTIVITY = "subscription { ledgerActivity { id memo date lines { amount } } }"
TEMPLATE = """mutation { applyAccountTemplate(input: {template: "household", currency: "EUR"})
  { __typename ... on ChartSuccess { accounts { id code } } } }"""


async def chart(http, token) -> dict[str, str]:
    response = await http.post(
        "/graphql", json={"query": TEMPLATE}, headers={"authorization": f"Bearer {token}"}
    )
    accounts = response.json()["data"]["applyAccountTemplate"]["accounts"]
    return {a["code"]: a["id"] for a in accounts}


async def post(http, token, variables) -> dict:
    response = await http.post(
        "/graphql",
        json={"query": POST, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    result = response.json()["data"]["postJournalEntry"]
    assert result["__typename"] == "JournalEntrySuccess", result
    return result["entry"]


async def test_posted_entries_arrive_after_commit_and_only_in_their_organization(http, live):
    a = await sign_up(http, "a@example.com", org="Org A")
    b = await sign_up(http, "b@example.com", org="Org B")
    codes_a, codes_b = await chart(http, a.token), await chart(http, b.token)
    watching_a = await subscribe(live, a.token, ACTIVITY)
    watching_b = await subscribe(live, b.token, ACTIVITY)
    await asyncio.sleep(0.2)  # both subscriptions registered with Redis

    posted = await post(
        http, a.token, entry_input(codes_a["5100"], codes_a["1010"], "12.50", "k1", "Bread")
    )
    event = await next_payload(watching_a)
    # Read back from the books when it arrived: it was committed by then.
    assert event == {
        "data": {
            "ledgerActivity": {
                "id": posted["id"],
                "memo": "Bread",
                "date": "2026-03-01",
                "lines": [{"amount": "12.5000"}, {"amount": "-12.5000"}],
            }
        }
    }
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(watching_b.recv(), 1.0)

    # B's own posting reaches B, never A.
    await post(http, b.token, entry_input(codes_b["5100"], codes_b["1010"], "3", "k1", "Milk"))
    assert (await next_payload(watching_b))["data"]["ledgerActivity"]["memo"] == "Milk"
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(watching_a.recv(), 1.0)
    await watching_a.close()
    await watching_b.close()
