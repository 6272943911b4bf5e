"""Plaid through the real app: connecting an item over GraphQL, a signed webhook at
/webhooks/plaid queuing the item's sync, the real worker importing it, syncing on demand,
and the connection invisible to another organization."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from fiscus.app import create_app
from fiscus.config import Settings
from tests.api.imports_client import chart, run_jobs
from tests.conftest import running
from tests.graphql_client import gql, sign_up
from tests.services.plaid_server import CLIENT_ID, PUBLIC_TOKEN, SECRET, recorded, serving

CHECKING = "BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp"
CONNECT = """mutation($input: ConnectPlaidItemInput!) { connectPlaidItem(input: $input) {
  __typename ... on BankConnectionSuccess { connection { id status institutionName
    accounts { plaidAccountId account { code } } } }
  ... on UserError { code field message } } }"""
SYNC = """mutation($id: ID!) { syncBankConnection(input: {connectionId: $id}) { __typename
  ... on SyncBankConnectionSuccess { added modified removed connection { status lastSyncedAt }
    imports { status created format } }
  ... on UserError { code field } } }"""


@pytest.fixture
def plaid():
    with serving() as served:
        yield served


@pytest.fixture
def plaid_settings(settings: Settings, plaid) -> Settings:
    _, url = plaid
    imports = settings.imports.model_copy(
        update={
            "plaid_base_url": url,
            "plaid_client_id": CLIENT_ID,
            "plaid_secret": SecretStr(SECRET),
        }
    )
    return settings.model_copy(update={"imports": imports})


@pytest.fixture
async def plaid_client(plaid_settings) -> AsyncIterator:
    async with running(create_app(plaid_settings)) as http:
        yield http


async def test_a_signed_webhook_brings_the_items_transactions_into_the_books(
    plaid_client, plaid_settings, plaid
):
    fake, _ = plaid
    client = plaid_client
    a = await sign_up(client, "a@example.com", org="Org A")
    b = await sign_up(client, "b@example.com", org="Org B")
    codes = await chart(client, a.token)
    connected = await gql(
        client,
        CONNECT,
        {
            "input": {
                "publicToken": PUBLIC_TOKEN,
                "institutionName": "First Platypus Bank",
                "accounts": [{"plaidAccountId": CHECKING, "accountId": codes["1010"]}],
            }
        },
        token=a.token,
    )
    connection = connected["data"]["connectPlaidItem"]["connection"]
    assert connection["status"] == "active"
    assert connection["accounts"] == [{"plaidAccountId": CHECKING, "account": {"code": "1010"}}]

    body = json.dumps(recorded("webhook_sync_updates_available")).encode()
    refused = await client.post(
        "/webhooks/plaid", content=body, headers={"plaid-verification": fake.sign(b"{}")}
    )
    assert refused.status_code == 401
    accepted = await client.post(
        "/webhooks/plaid", content=body, headers={"plaid-verification": fake.sign(body)}
    )
    assert (accepted.status_code, accepted.json()) == (200, {"status": "sync queued"})
    await run_jobs(plaid_settings)
    lines = await gql(
        client,
        "{ bankLines(first: 10) { edges { node { externalId amount pending } } } }",
        token=a.token,
    )
    assert {e["node"]["externalId"] for e in lines["data"]["bankLines"]["edges"]} == {
        "lPNjeW1nR6CDn5okmGQ6hEpMo4lLNoSrzqDje",
        "4WPD9vV5A1cogJwyQ5kVFB3vPEmpXPS3qvjXQ",
        "no86Eox18VHMvaOVL7gPUM9ap3aR1LsAVZ5nc",
        "8ekDPWBXokCwyKd4rxXqU4g7ZDLm1PFrMvQ7e",
    }  # the savings account is not mapped, the zero line skipped

    fake.updated = True
    synced = await gql(client, SYNC, {"id": connection["id"]}, token=a.token)
    result = synced["data"]["syncBankConnection"]
    assert (result["added"], result["modified"], result["removed"]) == (1, 2, 1)
    assert result["imports"] == [{"status": "DONE", "created": 1, "format": "PLAID"}]
    assert result["connection"]["status"] == "active"

    # Another organization sees no connection and cannot sync or delete it.
    node = await gql(
        client,
        "query($id: ID!) { node(id: $id) { __typename } }",
        {"id": connection["id"]},
        token=b.token,
    )
    assert node == {"data": {"node": None}}
    assert (await gql(client, "{ bankConnections { id } }", token=b.token))["data"] == {
        "bankConnections": []
    }
    foreign = await gql(client, SYNC, {"id": connection["id"]}, token=b.token)
    assert foreign["data"]["syncBankConnection"] == {
        "__typename": "NotFoundError",
        "code": "NOT_FOUND",
        "field": "input.connectionId",
    }
    deleted = await gql(
        client,
        """mutation($id: ID!) { deleteBankConnection(input: {connectionId: $id}) {
        __typename } }""",
        {"id": connection["id"]},
        token=a.token,
    )
    assert deleted["data"]["deleteBankConnection"]["__typename"] == "DeleteBankConnectionSuccess"
