"""postJournalEntry confirms the caller in the posting's own transaction (one statement for
the whole request): an ended session, a removed member or a role that no longer allows
posting are refused exactly as the access check before any other mutation refuses them, and
nothing is written; a role raised since the token was issued may post."""

from __future__ import annotations

import asyncpg

from fiscus.persistence.statements import count_statements
from tests.api.test_ledger_api import POST, chart, entry_input
from tests.api.test_members import CHANGE_ROLE, REMOVE, join
from tests.graphql_client import gql, sign_up

LOG_OUT = "mutation { logOut(input: {}) { ... on LogOutSuccess { ok } } }"


async def _entries(database_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM journal_entries"))
    finally:
        await connection.close()


async def test_an_ended_session_posts_nothing(client, database_url):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    posted = await gql(
        client, POST, entry_input(codes["5100"], codes["1010"], "5", "k1"), token=owner.token
    )
    assert posted["data"]["postJournalEntry"]["__typename"] == "JournalEntrySuccess"
    assert (await gql(client, LOG_OUT, token=owner.token))["data"]["logOut"] == {"ok": True}
    for key in ("k2", "k1"):  # a new key, and a replay of the posted one
        body = await gql(
            client, POST, entry_input(codes["5100"], codes["1010"], "5", key), token=owner.token
        )
        assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
        assert body["errors"][0]["message"] == "Your session has ended; log in again."
    assert await _entries(database_url) == 1


async def test_a_demoted_or_removed_member_posts_nothing_and_a_promoted_one_posts(
    client, app, settings, database_url
):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    queue = app.state.runtime.queue
    bob, bob_token = await join(client, queue, settings, owner, "bob@example.com", "MEMBER")
    cat, cat_token = await join(client, queue, settings, owner, "cat@example.com", "VIEWER")

    def entry(key: str) -> dict:
        return entry_input(codes["5100"], codes["1010"], "3", key)

    assert (await gql(client, POST, entry("b1"), token=bob_token))["data"]["postJournalEntry"][
        "__typename"
    ] == "JournalEntrySuccess"
    changed = await gql(
        client, CHANGE_ROLE, {"user": bob.user_id, "role": "VIEWER"}, token=owner.token
    )
    assert changed["data"]["changeMemberRole"]["member"]["role"] == "VIEWER"
    demoted = await gql(client, POST, entry("b2"), token=bob_token)  # the token says MEMBER
    assert demoted["errors"][0]["extensions"] == {
        "code": "FORBIDDEN",
        "permission": "ledger:write",
    }
    draft = entry("b3")
    draft["input"]["draft"] = True  # a draft is confirmed before, with the same answer
    demoted = await gql(client, POST, draft, token=bob_token)
    assert demoted["errors"][0]["extensions"] == {
        "code": "FORBIDDEN",
        "permission": "ledger:write",
    }

    raised = await gql(
        client, CHANGE_ROLE, {"user": cat.user_id, "role": "MEMBER"}, token=owner.token
    )
    assert raised["data"]["changeMemberRole"]["member"]["role"] == "MEMBER"
    promoted = await gql(client, POST, entry("c1"), token=cat_token)  # the token says VIEWER
    assert promoted["data"]["postJournalEntry"]["__typename"] == "JournalEntrySuccess"

    removed = await gql(client, REMOVE, {"user": cat.user_id}, token=owner.token)
    assert removed["data"]["removeMember"]["removedUserId"] == cat.user_id
    gone = await gql(client, POST, entry("c2"), token=cat_token)
    assert gone["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert await _entries(database_url) == 2


async def test_posting_through_graphql_is_one_statement_plus_the_budget_and_goal_check(client):
    """The posting is one statement; after its commit, budgets and goals look at the accounts
    it touched (``services/budgets/alerts.py``: one read transaction of three statements on
    the write pool, for an organization without budgets or goals too)."""
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    query = POST.replace("lines { amount account { code } }", "")
    for n in range(2):
        variables = entry_input(codes["5100"], codes["1010"], "2", f"s{n}")
        with count_statements() as log:
            body = await gql(client, query, variables, token=owner.token)
        assert body["data"]["postJournalEntry"]["__typename"] == "JournalEntrySuccess"
        assert log.statements[0].startswith("SELECT fiscus_ledger_post(")
        after = log.statements[1:]
        assert len(after) == 3 and after[0].startswith("BEGIN") and after[-1] == "COMMIT", after
