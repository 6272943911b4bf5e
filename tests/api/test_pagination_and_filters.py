"""Connections page with first/after without gaps or repeats; the audit log filters."""

from __future__ import annotations

from tests.api.test_members import INVITE
from tests.api.test_query_counts import add_members
from tests.graphql_client import gql, sign_up

MEMBERS_PAGE = """query($after: String) { organization { members(first: 4, after: $after) {
  totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
  edges { cursor node { user { email } } } } } }"""
AUDIT = """query($after: String, $filter: AuditLogFilter) {
  auditLog(first: 3, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor } edges { node { action occurredAt actor { email } } } } }"""


async def test_members_pages_cover_everyone_exactly_once(client, database_url):
    owner = await sign_up(client, "owner@example.com")
    await add_members(database_url, owner.org_id, 9)
    seen, after, pages = [], None, 0
    while True:
        body = await gql(client, MEMBERS_PAGE, {"after": after}, token=owner.token)
        connection = body["data"]["organization"]["members"]
        assert connection["totalCount"] == 10
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [e["node"]["user"]["email"] for e in connection["edges"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 10


async def test_page_size_and_cursor_are_checked(client):
    owner = await sign_up(client, "owner@example.com")
    too_many = await gql(client, "{ auditLog(first: 101) { edges { cursor } } }", token=owner.token)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_cursor = await gql(
        client, '{ auditLog(after: "nonsense") { edges { cursor } } }', token=owner.token
    )
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_audit_log_is_newest_first_and_filters_by_action_actor_and_time(client):
    owner = await sign_up(client, "owner@example.com")
    for n in range(4):
        await gql(
            client, INVITE, {"email": f"guest{n}@example.com", "role": "VIEWER"}, token=owner.token
        )
    everything, after = [], None
    while True:
        body = await gql(client, AUDIT, {"after": after}, token=owner.token)
        log = body["data"]["auditLog"]
        everything += log["edges"]
        if not log["pageInfo"]["hasNextPage"]:
            break
        after = log["pageInfo"]["endCursor"]
    actions = [e["node"]["action"] for e in everything]
    assert actions == ["member.invited"] * 4 + ["organization.created"]
    times = [e["node"]["occurredAt"] for e in everything]
    assert times == sorted(times, reverse=True)

    created = await gql(
        client, AUDIT, {"filter": {"actions": ["organization.created"]}}, token=owner.token
    )
    assert [e["node"]["action"] for e in created["data"]["auditLog"]["edges"]] == [
        "organization.created"
    ]
    by_owner = await gql(client, AUDIT, {"filter": {"actorId": owner.user_id}}, token=owner.token)
    assert {e["node"]["actor"]["email"] for e in by_owner["data"]["auditLog"]["edges"]} == {
        "owner@example.com"
    }
    by_nobody = await gql(
        client, AUDIT, {"filter": {"actorId": "bm90LWEtdXNlcg=="}}, token=owner.token
    )
    assert by_nobody["data"]["auditLog"]["edges"] == []
    since_last = await gql(client, AUDIT, {"filter": {"since": times[0]}}, token=owner.token)
    assert len(since_last["data"]["auditLog"]["edges"]) == 1
    until_first = await gql(client, AUDIT, {"filter": {"until": times[-2]}}, token=owner.token)
    assert [e["node"]["action"] for e in until_first["data"]["auditLog"]["edges"]] == [
        "organization.created"
    ]
