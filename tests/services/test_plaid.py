"""Plaid behind the import pipeline, against an in-process Plaid serving recorded responses
in Plaid's wire shape (tests/services/plaid_server.py): connecting an item (the access token
encrypted at rest), syncing every page from the cursor (restarting when Plaid reports a
mutation during pagination), dedupe by transaction_id, modified and removed transactions, a
pending transaction that posted, signed webhooks queuing a sync."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr

from fiscus.config import Settings, with_jwt_secret
from fiscus.domain.errors import RuleViolation, ValidationFailed
from fiscus.runtime import Runtime
from fiscus.services.imports.plaid import connections, sync
from fiscus.services.imports.plaid.webhooks import WebhookRefused
from tests.conftest import _plain
from tests.services.imports_fixtures import household
from tests.services.plaid_server import CLIENT_ID, PUBLIC_TOKEN, SECRET, recorded, serving

CHECKING = "BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp"
SAVINGS = "qxUrJaDEzXhLBM6kdQVdU5eqKEblJdULrxkpJ"


@pytest.fixture
def plaid():
    with serving() as (fake, url):
        yield fake, url


@pytest.fixture
async def plaid_runtime(settings: Settings, plaid) -> AsyncIterator[Runtime]:
    _, url = plaid
    imports = settings.imports.model_copy(
        update={
            "plaid_base_url": url,
            "plaid_client_id": CLIENT_ID,
            "plaid_secret": SecretStr(SECRET),
        }
    )
    opened = await Runtime.open(with_jwt_secret(settings.model_copy(update={"imports": imports})))
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def owner(database_url: str):
    connection = await asyncpg.connect(_plain(database_url))
    yield connection
    await connection.close()


async def lines(owner, org_id) -> dict[str, tuple[str, bool, bool, str | None]]:
    rows = await owner.fetch(
        "SELECT b.external_id, b.amount, b.pending, b.removed, e.status FROM bank_lines b "
        "LEFT JOIN journal_entries e ON e.id = b.entry_id WHERE b.org_id = $1",
        org_id,
    )
    return {
        r["external_id"]: (str(r["amount"]), r["pending"], r["removed"], r["status"]) for r in rows
    }


async def test_a_connected_item_syncs_every_page_once_then_its_updates(plaid_runtime, plaid, owner):
    fake, _ = plaid
    runtime = plaid_runtime
    h = await household(runtime)
    ctx, p = runtime.imports, h.principal
    connection = await connections.connect_plaid_item(
        ctx,
        p,
        public_token=PUBLIC_TOKEN,
        institution_name="First Platypus Bank",
        accounts={CHECKING: h.codes["1010"], SAVINGS: h.codes["1020"]},
    )
    sealed = await owner.fetchval(
        "SELECT access_token FROM bank_connections WHERE id = $1", connection.id
    )
    assert fake.access_token.encode() not in bytes(sealed)  # encrypted at rest
    fake.mutate_once = True  # page 2 fails once: the sync restarts from the stored cursor
    first = await sync.sync_connection(ctx, p, connection.id)
    assert (first.added, first.modified, first.removed) == (5, 0, 0)
    found = await lines(owner, p.org_id)
    assert found["lPNjeW1nR6CDn5okmGQ6hEpMo4lLNoSrzqDje"] == ("-4.3300", False, False, "draft")
    assert found["4WPD9vV5A1cogJwyQ5kVFB3vPEmpXPS3qvjXQ"][0] == "2500.0000"  # money in
    assert found["no86Eox18VHMvaOVL7gPUM9ap3aR1LsAVZ5nc"][1] is True  # pending
    assert found["J5XQbPmqkBHVvq94pL8aUzLzR1rQ5MiVvKdmy"][0] == "-25.0000"  # savings
    assert "x1ZlwLEzPMt9mPvNrdKDSn3Qo1JqmZfrGm6Ao" not in found  # zero: skipped
    cursor = await owner.fetchval(
        "SELECT cursor FROM bank_connections WHERE id = $1", connection.id
    )
    assert cursor == recorded("sync_page_2")["next_cursor"]
    sync_calls = [c for c in fake.calls if c[0] == "/transactions/sync"]
    assert [c[1].get("cursor") for c in sync_calls][:2] == [
        None,
        recorded("sync_page_1")["next_cursor"],
    ]

    again = await sync.sync_connection(ctx, p, connection.id)  # nothing new
    assert (again.added, again.modified, again.removed) == (0, 0, 0)

    fake.updated = True
    update = await sync.sync_connection(ctx, p, connection.id)
    assert (update.added, update.modified, update.removed) == (1, 2, 1)
    found = await lines(owner, p.org_id)
    # The pending Uber ride posted: its line took the posted id and amount, not a second line.
    assert "no86Eox18VHMvaOVL7gPUM9ap3aR1LsAVZ5nc" not in found
    assert found["lgzNr4Qk5dtz3EadMKVgCoVxo8RK9XckxygdZ"] == ("-91.2000", False, False, "draft")
    assert found["8ekDPWBXokCwyKd4rxXqU4g7ZDLm1PFrMvQ7e"][0] == "-13.5000"  # modified
    keys = await owner.fetch(
        "SELECT dedupe_key FROM bank_lines WHERE org_id = $1 ORDER BY 1", p.org_id
    )
    assert "id:8ekDPWBXokCwyKd4rxXqU4g7ZDLm1PFrMvQ7e:1" in {k["dedupe_key"] for k in keys}
    assert "id:lgzNr4Qk5dtz3EadMKVgCoVxo8RK9XckxygdZ:1" in {k["dedupe_key"] for k in keys}
    assert found["lPNjeW1nR6CDn5okmGQ6hEpMo4lLNoSrzqDje"][2:] == (True, None)  # removed
    assert found["ZqEe8PmRGvSBDn6vZk3Nt9Lw4XqLdKfJ5wVoP"][0] == "-5.1000"
    draft = json.loads(
        await owner.fetchval(
            "SELECT e.draft_lines FROM journal_entries e JOIN bank_lines b ON b.entry_id = e.id "
            "WHERE b.external_id = 'lgzNr4Qk5dtz3EadMKVgCoVxo8RK9XckxygdZ'"
        )
    )
    assert [Decimal(x["amount"]) for x in draft] == [Decimal("-91.2"), Decimal("91.2")]


async def test_bad_tokens_foreign_accounts_and_unreachable_plaid_are_typed_errors(
    plaid_runtime,
):
    h = await household(plaid_runtime)
    ctx, p = plaid_runtime.imports, h.principal
    with pytest.raises(RuleViolation) as bad_token:
        await connections.connect_plaid_item(
            ctx,
            p,
            public_token="public-sandbox-nope",
            institution_name=None,
            accounts={CHECKING: h.codes["1010"]},
        )
    assert (bad_token.value.code, bad_token.value.field) == ("PROVIDER_UNAVAILABLE", "publicToken")
    with pytest.raises(ValidationFailed) as foreign:
        await connections.connect_plaid_item(
            ctx,
            p,
            public_token=PUBLIC_TOKEN,
            institution_name=None,
            accounts={CHECKING: h.other_codes["1010"]},
        )
    assert foreign.value.issues[0].field == "accounts[0].accountId"


async def test_webhooks_are_verified_and_queue_a_sync_of_their_item(plaid_runtime, plaid, owner):
    fake, _ = plaid
    runtime = plaid_runtime
    h = await household(runtime)
    connection = await connections.connect_plaid_item(
        runtime.imports,
        h.principal,
        public_token=PUBLIC_TOKEN,
        institution_name=None,
        accounts={CHECKING: h.codes["1010"]},
    )
    body = json.dumps(recorded("webhook_sync_updates_available")).encode()
    outcome = await connections.handle_webhook(runtime.imports, body, fake.sign(body))
    assert outcome == "sync queued"
    queued = await runtime.queue.zrange(f"{runtime.settings.redis.prefix}:queue", 0, -1)
    assert any(
        job.decode().startswith(f"sync-bank-connection:{connection.id}:") for job in queued
    )
    other_key = ec.generate_private_key(ec.SECP256R1())
    refusals = {
        "no header": (body, None),
        "another key": (body, fake.sign(body, key=other_key)),
        "tampered body": (body.replace(b"SYNC_UPDATES", b"SYNC_UPDATEX"), fake.sign(body)),
        "too old": (body, fake.sign(body, issued=0)),
        "not a jwt": (body, "not-a-jwt"),
    }
    for name, (sent, header) in refusals.items():
        with pytest.raises(WebhookRefused):
            await connections.handle_webhook(runtime.imports, sent, header)
            pytest.fail(f"accepted a webhook with {name}")
