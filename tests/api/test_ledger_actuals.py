"""importActualsCsv through the real app: movements and balances become one balanced entry
per period against the offset account, idempotent per (file, period), all or nothing, with
errors naming the file's lines; another organization's offset account is refused."""

from __future__ import annotations

from tests.api.test_ledger_api import POST, chart, entry_input
from tests.graphql_client import gql, sign_up

IMPORT = """mutation($input: ImportActualsCsvInput!) { importActualsCsv(input: $input) {
  __typename
  ... on ImportActualsSuccess { posted replayed periods entries { id date memo } }
  ... on ValidationError { code field problems { field code message } }
  ... on UserError { code field message } } }"""
BALANCES = """query { accounts { code jan: balance(asOf: "2026-01-31")
  feb: balance(asOf: "2026-02-28") } }"""
ENTRY_COUNT = "{ journalEntries(first: 100) { edges { node { id } } } }"
LINES = """{ journalEntries(first: 10) { edges { node { id date
  lines { amount account { code } } } } } }"""


async def run_import(client, token, csv, offset, kind="MOVEMENTS", key=None):
    variables = {"input": {"csv": csv, "offsetAccountId": offset, "kind": kind}}
    if key is not None:
        variables["input"]["idempotencyKey"] = key
    body = await gql(client, IMPORT, variables, token=token)
    assert "data" in body, body
    return body["data"]["importActualsCsv"]


async def balances(client, token) -> dict[str, tuple[str, str]]:
    body = await gql(client, BALANCES, token=token)
    return {a["code"]: (a["jan"], a["feb"]) for a in body["data"]["accounts"]}


async def entry_count(client, token) -> int:
    return len((await gql(client, ENTRY_COUNT, token=token))["data"]["journalEntries"]["edges"])


async def test_movements_post_one_entry_per_period_and_a_reimport_posts_nothing(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    csv = (
        "\ufeffPeriod,Account,Amount,Currency\r\n"
        "2026-01,5100,250.50,EUR\r\n"
        "2026-01,4000,-3000\r\n"
        "2026-02,5100,199.5\r\n"
        "2026-02-28,5200,10\r\n"  # a period given by its last day is its own period
    )
    done = await run_import(client, owner.token, csv, codes["3000"])
    assert done["__typename"] == "ImportActualsSuccess", done
    assert (done["posted"], done["replayed"]) == (3, 0)
    assert done["periods"] == ["2026-01", "2026-02", "2026-02-28"]
    january = done["entries"][0]
    assert (january["date"], january["memo"]) == ("2026-01-31", "Actuals 2026-01 (movements)")
    listed = (await gql(client, LINES, token=owner.token))["data"]["journalEntries"]["edges"]
    january = next(e["node"] for e in listed if e["node"]["id"] == january["id"])
    assert [(line["account"]["code"], line["amount"]) for line in january["lines"]] == [
        ("5100", "250.5000"),
        ("4000", "-3000.0000"),
        ("3000", "2749.5000"),
    ]
    after = await balances(client, owner.token)
    assert after["5100"] == ("250.5000", "450.0000")
    assert after["3000"] == ("2749.5000", "2540.0000")

    again = await run_import(client, owner.token, csv.replace("\r\n", "\n"), codes["3000"])
    assert (again["posted"], again["replayed"]) == (0, 3)
    assert await balances(client, owner.token) == after
    assert await entry_count(client, owner.token) == 3


async def test_balances_move_accounts_to_the_stated_balance_and_a_changed_period_is_refused(
    client,
):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    earlier = await gql(
        client, POST, entry_input(codes["1010"], codes["4000"], "100", "pay"), token=owner.token
    )  # 2026-03-01: after both periods, so it does not count
    assert earlier["data"]["postJournalEntry"]["__typename"] == "JournalEntrySuccess"
    early = entry_input(codes["1010"], codes["4000"], "40", "early")
    early["input"]["date"] = "2026-01-10"
    assert (await gql(client, POST, early, token=owner.token))["data"]["postJournalEntry"][
        "__typename"
    ] == "JournalEntrySuccess"
    csv = "period,account,amount\n2026-01,1010,1000\n2026-01,2000,-300\n2026-02,1010,1200\n"
    done = await run_import(client, owner.token, csv, codes["3000"], "BALANCES", key="tb")
    assert done["__typename"] == "ImportActualsSuccess", done
    assert done["posted"] == 2
    after = await balances(client, owner.token)
    assert after["1010"] == ("1000.0000", "1200.0000")
    assert after["2000"] == ("-300.0000", "-300.0000")
    # The offset takes the difference: 1010 moved 960 then 200, 2000 moved -300.
    assert after["3000"] == ("-660.0000", "-860.0000")

    # Same key, February changed and a new period added: refused whole, naming February.
    changed = csv.replace("2026-02,1010,1200", "2026-02,1010,1300") + "2026-03,1010,5\n"
    refused = await run_import(client, owner.token, changed, codes["3000"], "BALANCES", key="tb")
    assert refused == {
        "__typename": "ConflictError",
        "code": "IDEMPOTENCY_KEY_REUSED",
        "field": "input.csv[4].period",
        "message": "Period 2026-02 was already imported with other figures.",
    }
    assert await balances(client, owner.token) == after
    assert await entry_count(client, owner.token) == 4
    # The same file again: nothing new.
    again = await run_import(client, owner.token, csv, codes["3000"], "BALANCES", key="tb")
    assert again["__typename"] == "ImportActualsSuccess"
    assert again["posted"] == 0
    assert await entry_count(client, owner.token) == 4


async def test_row_errors_name_the_line_and_nothing_is_posted(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    bad = "period,account,amount\n2026-01,5100,12.345678\n2026-13,5100,1\n2026-01,9999,1\n"
    refused = await run_import(client, owner.token, bad, codes["3000"])
    assert refused["__typename"] == "ValidationError"
    assert [(p["field"], p["code"]) for p in refused["problems"]] == [
        ("input.csv[2].amount", "INVALID"),
        ("input.csv[3].period", "INVALID"),
    ]
    unknown = await run_import(
        client,
        owner.token,
        "period,account,amount\n2026-01,5100,1\n2026-01,9999,1\n",
        codes["3000"],
    )
    assert [(p["field"], p["code"]) for p in unknown["problems"]] == [
        ("input.csv[3].account", "NOT_FOUND")
    ]
    no_header = await run_import(client, owner.token, "2026-01,5100,1\n", codes["3000"])
    assert no_header["field"] == "input.csv[1]"
    assert await entry_count(client, owner.token) == 0


async def test_another_organizations_offset_account_is_refused(client):
    a = await sign_up(client, "a@example.com", org="Org A")
    b = await sign_up(client, "b@example.com", org="Org B")
    await chart(client, a)
    codes_b = await chart(client, b)
    refused = await run_import(
        client, a.token, "period,account,amount\n2026-01,5100,1\n", codes_b["3000"]
    )
    assert (refused["__typename"], refused["field"]) == ("NotFoundError", "input.offsetAccountId")
    assert await entry_count(client, a.token) == 0
    assert await entry_count(client, b.token) == 0
