"""Bank imports through GraphQL: multipart uploads (with the preflight-forcing header),
the real worker importing them, the import with its rows and problems, typed errors, ids of
another organization, reconciliation."""

from __future__ import annotations

from pathlib import Path

from tests.api.imports_client import chart, import_statement, run_jobs, upload
from tests.graphql_client import gql, sign_up

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bank"
IMPORT_DETAILS = """query($id: ID!) { import(id: $id) {
  id status format fileName rows created duplicates skipped failed warnings
  failure { field code message }
  endingBalance { amount asOf }
  balanceCheck { statementBalance booksBalance postedBalance draftAmount difference holds }
  account { code }
  problems { line outcome code field message }
  lines(first: 3) { edges { cursor node { line outcome bankLine { payee amount pending
    category { code } entry { status } } } } pageInfo { hasNextPage endCursor } }
} }"""


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def test_an_uploaded_statement_is_imported_by_the_worker(client, settings):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner.token)
    started = await import_statement(
        client,
        owner.token,
        {"accountId": codes["1010"]},
        fixture("chase_checking.csv"),
        file_name="chase.csv",
    )
    assert started["__typename"] == "ImportStatementSuccess", started
    assert started["import"]["status"] == "QUEUED"
    assert started["import"]["fileName"] == "chase.csv"
    await run_jobs(settings)
    body = await gql(client, IMPORT_DETAILS, {"id": started["import"]["id"]}, token=owner.token)
    found = body["data"]["import"]
    assert (found["status"], found["format"]) == ("DONE", "CHASE_CHECKING")
    assert (found["rows"], found["created"], found["duplicates"], found["skipped"]) == (8, 7, 0, 1)
    assert found["account"] == {"code": "1010"}
    assert found["endingBalance"] == {"amount": "2311.1400", "asOf": "2026-09-29"}
    # Books: nothing posted yet; the drafts up to 09-29 (the pending line of 09-30 is later)
    # sum to 1,841.45; the account's opening balance (469.69) is not in the books yet.
    check = found["balanceCheck"]
    assert (check["postedBalance"], check["draftAmount"], check["difference"]) == (
        "0",
        "1841.4500",
        "469.6900",
    )
    assert check["holds"] is False
    assert found["problems"] == [
        {
            "line": 7,
            "outcome": "SKIPPED",
            "code": "ZERO_AMOUNT",
            "field": None,
            "message": "A zero amount moves nothing: skipped.",
        }
    ]
    edges = found["lines"]["edges"]
    assert [e["node"]["line"] for e in edges] == [2, 3, 4]
    assert edges[0]["node"]["bankLine"] == {
        "payee": "Starbucks",
        "amount": "-5.7500",
        "pending": True,
        "category": {"code": "UNCAT-USD"},
        "entry": {"status": "DRAFT"},
    }
    assert found["lines"]["pageInfo"]["hasNextPage"]
    after = found["lines"]["pageInfo"]["endCursor"]
    rest = await gql(
        client,
        """query($id: ID!, $after: String) { import(id: $id) {
        lines(first: 10, after: $after, outcome: [SKIPPED]) { edges { node { line } } } } }""",
        {"id": started["import"]["id"], "after": after},
        token=owner.token,
    )
    assert [e["node"]["line"] for e in rest["data"]["import"]["lines"]["edges"]] == [7]
    listed = await gql(
        client, "{ imports(first: 5) { edges { node { id status } } } }", token=owner.token
    )
    assert listed["data"]["imports"]["edges"] == [
        {"node": {"id": started["import"]["id"], "status": "DONE"}}
    ]


async def test_uploads_without_the_preflight_header_are_refused(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner.token)
    response = await upload(
        client, owner.token, {"accountId": codes["1010"]}, b"x", preflight=False
    )
    assert response.status_code == 400
    assert "GraphQL-Require-Preflight" in response.json()["errors"][0]["message"]


async def test_a_file_sent_as_text_and_a_foreign_account_are_typed_errors(client):
    a = await sign_up(client, "a@example.com", org="Org A")
    b = await sign_up(client, "b@example.com", org="Org B")
    await chart(client, a.token)
    codes_b = await chart(client, b.token)
    as_text = await gql(
        client,
        """mutation($input: ImportStatementInput!) { importStatement(input: $input) {
        __typename ... on UserError { code field } } }""",
        {"input": {"accountId": codes_b["1010"], "file": "Details,Posting Date\\n"}},
        token=a.token,
    )
    assert as_text["data"]["importStatement"] == {
        "__typename": "ValidationError",
        "code": "REQUIRED",
        "field": "input.file",
    }
    smuggled = await import_statement(
        client, a.token, {"accountId": codes_b["1010"]}, fixture("chase_checking.csv")
    )
    assert (smuggled["__typename"], smuggled["code"], smuggled["field"]) == (
        "NotFoundError",
        "NOT_FOUND",
        "input.accountId",
    )
    income = await import_statement(
        client, b.token, {"accountId": codes_b["4000"]}, fixture("chase_checking.csv")
    )
    assert (income["__typename"], income["field"]) == ("RuleViolationError", "input.accountId")


async def test_a_bad_mapping_names_its_fields(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner.token)
    refused = await import_statement(
        client,
        owner.token,
        {
            "accountId": codes["1010"],
            "mapping": {"dateColumn": "Date", "descriptionColumn": "Text", "dateFormat": "%H"},
        },
        b"Date,Text,Amount\n2026-01-01,x,1\n",
    )
    assert refused["__typename"] == "ValidationError"
    assert {p["field"] for p in refused["problems"]} == {
        "input.mapping.amountColumn",
        "input.mapping.dateFormat",
    }


async def test_reconciling_asserts_the_balance_and_clears_posted_lines(client, settings):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner.token)
    started = await import_statement(
        client, owner.token, {"accountId": codes["1010"]}, fixture("capital_one_360.csv")
    )
    await run_jobs(settings)
    lines = await gql(
        client,
        "{ bankLines(first: 10) { edges { node { id entry { id } amount } } } }",
        token=owner.token,
    )
    for edge in lines["data"]["bankLines"]["edges"]:
        posted = await gql(
            client,
            """mutation($id: ID!, $key: String!) { postDraftEntry(input: {entryId: $id,
            idempotencyKey: $key}) { __typename } }""",
            {"id": edge["node"]["entry"]["id"], "key": edge["node"]["id"]},
            token=owner.token,
        )
        assert posted["data"]["postDraftEntry"]["__typename"] == "JournalEntrySuccess"
    reconcile = """mutation($input: ReconcileAccountInput!) { reconcileAccount(input: $input) {
      __typename ... on ReconcileSuccess { reconciled cleared difference booksBalance
        unpostedLines assertion { amount holds } }
      ... on UserError { code field } } }"""
    wrong = await gql(
        client,
        reconcile,
        {
            "input": {
                "accountId": codes["1010"],
                "statementDate": "2026-09-30",
                "statementBalance": "1530.42",
            }
        },
        token=owner.token,
    )
    # The file's lines sum to 1,430.42: the statement's 1,530.42 needs the opening 100.
    assert wrong["data"]["reconcileAccount"] == {
        "__typename": "ReconcileSuccess",
        "reconciled": False,
        "cleared": 0,
        "difference": "100.0000",
        "booksBalance": "1430.4200",
        "unpostedLines": 0,
        "assertion": {"amount": "1530.42", "holds": False},
    }
    right = await gql(
        client,
        reconcile,
        {
            "input": {
                "accountId": codes["1010"],
                "statementDate": "2026-09-30",
                "statementBalance": "1430.42",
            }
        },
        token=owner.token,
    )
    assert right["data"]["reconcileAccount"]["reconciled"] is True
    assert right["data"]["reconcileAccount"]["cleared"] == 4
    b = await sign_up(client, "b@example.com", org="Org B")
    foreign = await gql(
        client,
        reconcile,
        {
            "input": {
                "accountId": codes["1010"],
                "statementDate": "2026-09-30",
                "statementBalance": "1",
            }
        },
        token=b.token,
    )
    assert foreign["data"]["reconcileAccount"] == {
        "__typename": "NotFoundError",
        "code": "NOT_FOUND",
        "field": "input.accountId",
    }
    assert started["__typename"] == "ImportStatementSuccess"
