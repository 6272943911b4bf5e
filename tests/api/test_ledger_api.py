"""The ledger through GraphQL: posting with typed errors, idempotency, reversal, tenant
isolation of Account and JournalEntry (node ids, lists, ids smuggled into lines and
reverseEntry), viewers without entry details, pinned statement counts."""

from __future__ import annotations

import asyncio

from tests.api.test_members import join
from tests.api.test_query_counts import statements_for
from tests.graphql_client import gql, sign_up

TEMPLATE = """mutation { applyAccountTemplate(input: {template: "household", currency: "EUR"})
  { __typename ... on ChartSuccess { accounts { id code } } } }"""
POST = """mutation($input: PostJournalEntryInput!) { postJournalEntry(input: $input) {
  __typename
  ... on JournalEntrySuccess { replayed entry { id status lines { amount account { code } } } }
  ... on ValidationError { code field problems { field code } }
  ... on UserError { code field message } } }"""
REVERSE = """mutation($input: ReverseEntryInput!) { reverseEntry(input: $input) {
  __typename ... on JournalEntrySuccess { entry { id reversesId } }
  ... on UserError { code field } } }"""
NODE = """query($id: ID!) { node(id: $id) { __typename
  ... on Account { code } ... on JournalEntry { memo } } }"""
ENTRIES = """{ journalEntries(first: 20) { edges { node { id memo
  lines { amount account { code balance } } } } } }"""


async def chart(client, account) -> dict[str, str]:
    body = await gql(client, TEMPLATE, token=account.token)
    return {a["code"]: a["id"] for a in body["data"]["applyAccountTemplate"]["accounts"]}


def entry_input(debit: str, credit: str, amount: str, key: str, memo: str = "Groceries"):
    return {
        "input": {
            "date": "2026-03-01",
            "memo": memo,
            "idempotencyKey": key,
            "lines": [
                {
                    "accountId": debit,
                    "amount": amount,
                    "dimensions": [{"key": "shop", "value": "x"}],
                },
                {"accountId": credit, "amount": f"-{amount}"},
            ],
        }
    }


async def test_posting_reversing_and_typed_errors_through_graphql(client):
    a = await sign_up(client, "a@example.com", org="Org A")
    codes = await chart(client, a)
    posted = await gql(
        client, POST, entry_input(codes["5100"], codes["1010"], "12.50", "k1"), token=a.token
    )
    result = posted["data"]["postJournalEntry"]
    assert result["__typename"] == "JournalEntrySuccess" and not result["replayed"]
    assert [line["account"]["code"] for line in result["entry"]["lines"]] == ["5100", "1010"]
    again = await gql(
        client, POST, entry_input(codes["5100"], codes["1010"], "12.50", "k1"), token=a.token
    )
    assert again["data"]["postJournalEntry"]["replayed"] is True
    reused = await gql(
        client, POST, entry_input(codes["5100"], codes["1010"], "13", "k1"), token=a.token
    )
    assert reused["data"]["postJournalEntry"] == {
        "__typename": "ConflictError",
        "code": "IDEMPOTENCY_KEY_REUSED",
        "field": "input.idempotencyKey",
        "message": "This idempotency key was already used with a different request.",
    }

    unbalanced = entry_input(codes["5100"], codes["1010"], "1", "k2")
    unbalanced["input"]["lines"][1]["amount"] = "-2"
    refused = (await gql(client, POST, unbalanced, token=a.token))["data"]["postJournalEntry"]
    assert (refused["code"], refused["field"]) == ("UNBALANCED", "input.lines")
    bad_row = entry_input("not-an-id", codes["1010"], "1", "k3")
    refused = (await gql(client, POST, bad_row, token=a.token))["data"]["postJournalEntry"]
    assert refused["problems"] == [{"field": "input.lines[0].accountId", "code": "NOT_FOUND"}]

    entry_id = result["entry"]["id"]
    reversal = await gql(
        client, REVERSE, {"input": {"entryId": entry_id, "idempotencyKey": "r"}}, token=a.token
    )
    assert reversal["data"]["reverseEntry"]["entry"]["reversesId"] == entry_id
    twice = await gql(
        client, REVERSE, {"input": {"entryId": entry_id, "idempotencyKey": "r2"}}, token=a.token
    )
    assert twice["data"]["reverseEntry"]["code"] == "ALREADY_REVERSED"
    balance = await gql(
        client, f'{{ account(id: "{codes["5100"]}") {{ balance }} }}', token=a.token
    )
    assert balance["data"]["account"]["balance"] == "0.0000"


async def test_another_organizations_accounts_and_entries_are_invisible_and_unpostable(client):
    a = await sign_up(client, "a@example.com", org="Org A")
    b = await sign_up(client, "b@example.com", org="Org B")
    codes_a, codes_b = await chart(client, a), await chart(client, b)
    posted_b = await gql(
        client, POST, entry_input(codes_b["5100"], codes_b["1010"], "5", "k"), token=b.token
    )
    entry_b = posted_b["data"]["postJournalEntry"]["entry"]["id"]
    own = await gql(client, NODE, {"id": codes_a["5100"]}, token=a.token)
    assert own["data"]["node"] == {"__typename": "Account", "code": "5100"}  # the control
    for foreign in (codes_b["5100"], entry_b):
        assert await gql(client, NODE, {"id": foreign}, token=a.token) == {"data": {"node": None}}
    assert (await gql(client, f'{{ account(id: "{codes_b["5100"]}") {{ code }} }}', token=a.token))[
        "data"
    ]["account"] is None
    listed = await gql(client, ENTRIES, token=a.token)
    assert listed["data"]["journalEntries"]["edges"] == []
    accounts = await gql(client, "{ accounts { id } }", token=a.token)
    assert not {x["id"] for x in accounts["data"]["accounts"]} & set(codes_b.values())
    # B's account smuggled into A's entry: a row error, nothing posted.
    smuggled = await gql(
        client, POST, entry_input(codes_b["5100"], codes_a["1010"], "5", "s"), token=a.token
    )
    assert smuggled["data"]["postJournalEntry"]["problems"] == [
        {"field": "input.lines[0].accountId", "code": "NOT_FOUND"}
    ]
    reversed_b = await gql(
        client, REVERSE, {"input": {"entryId": entry_b, "idempotencyKey": "x"}}, token=a.token
    )
    assert reversed_b["data"]["reverseEntry"]["code"] == "NOT_FOUND"
    still = await gql(
        client, f'{{ account(id: "{codes_b["5100"]}") {{ balance }} }}', token=b.token
    )
    assert still["data"]["account"]["balance"] == "5.0000"


async def test_viewers_see_no_entry_details(client, app, settings):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    await gql(client, POST, entry_input(codes["5100"], codes["1010"], "5", "k"), token=owner.token)
    _, viewer = await join(
        client, app.state.runtime.queue, settings, owner, "v@example.com", "VIEWER"
    )
    body = await gql(client, ENTRIES, token=viewer)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_journal_entries_with_lines_and_accounts_cost_constant_statements(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    for i in range(3):
        await gql(
            client, POST, entry_input(codes["5100"], codes["1010"], "1", f"a{i}"), token=owner.token
        )
    few = await statements_for(client, ENTRIES, owner.token)
    await asyncio.gather(
        *[
            gql(client, POST, entry_input(codes[c], codes["1010"], "1", f"b{i}"), token=owner.token)
            for i, c in enumerate(["5100", "5200", "5300", "5400", "5900"] * 6)
        ]
    )
    many = await statements_for(client, ENTRIES, owner.token)
    # begin, access check, entries page, lines loader, accounts loader, balances loader.
    assert few == many == 6


async def test_entries_filter_by_a_dimension_tag(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    tagged = entry_input(codes["5100"], codes["1010"], "3", "tagged", memo="Tagged")
    plain = entry_input(codes["5100"], codes["1010"], "4", "plain", memo="Plain")
    plain["input"]["lines"][0]["dimensions"] = [{"key": "shop", "value": "y"}]
    for variables in (tagged, plain):
        posted = await gql(client, POST, variables, token=owner.token)
        assert posted["data"]["postJournalEntry"]["__typename"] == "JournalEntrySuccess"
    query = """query($key: String!, $value: String!) {
      journalEntries(first: 10, dimension: {key: $key, value: $value}) {
        edges { node { memo } } } }"""
    for value, memos in (("x", ["Tagged"]), ("y", ["Plain"]), ("z", [])):
        body = await gql(client, query, {"key": "shop", "value": value}, token=owner.token)
        found = [e["node"]["memo"] for e in body["data"]["journalEntries"]["edges"]]
        assert found == memos, (value, body)
