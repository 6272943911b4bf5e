"""Portfolio changes are audit-logged, arrive on the organization's activity stream after
commit, and are announced on the portfolio's own channel (for live valuations)."""

from __future__ import annotations

import asyncio
import json

import redis.asyncio as aioredis

from fiscus.config import Settings
from fiscus.realtime import channels
from tests.api import portfolio_operations as pf
from tests.api.test_organization_activity import next_payload, subscribe
from tests.api.test_tenant_isolation import raw_uuid
from tests.graphql_client import gql, sign_up


async def test_changes_reach_the_activity_stream_and_the_portfolio_channel(
    http, live, settings: Settings
):
    owner = await sign_up(http, "owner@example.com")
    pid = await pf.create(http, owner.token)
    watching = await subscribe(live, owner.token)
    assert settings.redis.url is not None
    client = aioredis.Redis.from_url(settings.redis.url)
    pubsub = client.pubsub()
    channel = channels.portfolio(raw_uuid(owner.org_id), raw_uuid(pid))
    await pubsub.subscribe(channels.redis_channel(settings.redis.prefix, channel))
    try:
        await asyncio.sleep(0.2)  # subscriptions registered with Redis
        done = await pf.record(
            http,
            owner.token,
            pid,
            [{"type": "DEPOSIT", "date": "2024-01-02", "amount": "100", "reference": "d1"}],
        )
        assert done["__typename"] == "RecordPortfolioTransactionsSuccess", done
        event = await next_payload(watching)
        assert event["data"]["organizationActivity"]["action"] == (
            "portfolio.transactions_recorded"
        )
        assert event["data"]["organizationActivity"]["details"]["count"] == 1
        message = None
        for _ in range(50):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message is not None:
                break
        assert message is not None
        envelope = json.loads(message["data"])
        payload = envelope.get("payload", envelope)
        assert payload["portfolio_id"] == str(raw_uuid(pid))
        assert payload["reason"] == "portfolio.transactions_recorded"
        # Refused changes publish nothing.
        refused = await pf.record(
            http,
            owner.token,
            pid,
            [{"type": "WITHDRAWAL", "date": "2024-01-03", "amount": "500"}],
            key="k2",
        )
        assert refused["code"] == "INSUFFICIENT_CASH"
        assert await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5) is None
        audit = await gql(
            http, "{ auditLog(first: 5) { edges { node { action } } } }", token=owner.token
        )
        actions = [e["node"]["action"] for e in audit["data"]["auditLog"]["edges"]]
        assert actions[:2] == ["portfolio.transactions_recorded", "portfolio.created"]
    finally:
        await pubsub.aclose()
        await client.aclose()
        await watching.close()
