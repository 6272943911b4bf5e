"""Nothing of one organization is visible to another, through any field or node id."""

from __future__ import annotations

import base64
import uuid

from tests.api.test_marketdata import CREATE as CREATE_INSTRUMENT
from tests.api.test_marketdata import IMPORT, RECORD, TRACK
from tests.api.test_members import INVITE, MEMBERS, SWITCH
from tests.graphql_client import gql, sign_up


def raw_uuid(global_id: str) -> uuid.UUID:
    return uuid.UUID(base64.urlsafe_b64decode(global_id).decode().split(":", 1)[1])


NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on User { email } ... on Organization { name } ... on Invitation { email }
  ... on AuditEvent { action } ... on Member { role } ... on Instrument { symbol } } }"""


async def object_ids(client, account) -> dict[str, str]:
    invited = await gql(
        client, INVITE, {"email": f"guest-{account.email}", "role": "VIEWER"}, token=account.token
    )
    invitation_id = invited["data"]["inviteMember"]["invitation"]["id"]
    audit = await gql(
        client, "{ auditLog(first: 1) { edges { node { id } } } }", token=account.token
    )
    members = await gql(
        client, "{ organization { members { edges { node { id } } } } }", token=account.token
    )
    created = await gql(
        client,
        CREATE_INSTRUMENT,
        {
            "input": {
                "symbol": f"HOUSE-{account.email[0].upper()}",
                "name": "House",
                "kind": "OTHER",
                "currency": "EUR",
            }
        },
        token=account.token,
    )
    return {
        "Instrument": created["data"]["createManualInstrument"]["instrument"]["id"],
        "User": account.user_id,
        "Organization": account.org_id,
        "Invitation": invitation_id,
        "AuditEvent": audit["data"]["auditLog"]["edges"][0]["node"]["id"],
        "Member": members["data"]["organization"]["members"]["edges"][0]["node"]["id"],
    }


async def test_node_ids_of_another_organization_resolve_to_nothing(client):
    a = await sign_up(client, "a@example.com", org="Org A")
    b = await sign_up(client, "b@example.com", org="Org B")
    ids_a, ids_b = await object_ids(client, a), await object_ids(client, b)
    for type_name, global_id in ids_a.items():
        own = await gql(client, NODE, {"id": global_id}, token=a.token)
        assert own["data"]["node"]["__typename"] == type_name, own  # the control
        foreign = await gql(client, NODE, {"id": ids_b[type_name]}, token=a.token)
        assert foreign == {"data": {"node": None}}, (type_name, foreign)


async def test_lists_show_only_the_callers_organization(client):
    a = await sign_up(client, "a@example.com", org="Org A")
    b = await sign_up(client, "b@example.com", org="Org B")
    await gql(client, INVITE, {"email": "guest@example.com", "role": "VIEWER"}, token=b.token)
    members = await gql(client, MEMBERS, token=a.token)
    assert [
        e["node"]["user"]["email"] for e in members["data"]["organization"]["members"]["edges"]
    ] == ["a@example.com"]
    invitations = await gql(
        client, "{ organization { pendingInvitations { email } } }", token=a.token
    )
    assert invitations["data"]["organization"]["pendingInvitations"] == []
    audit = await gql(client, "{ auditLog { edges { node { action details } } } }", token=a.token)
    assert [e["node"]["details"] for e in audit["data"]["auditLog"]["edges"]] == [{"name": "Org A"}]
    me = await gql(client, "{ me { memberships { organization { name } } } }", token=a.token)
    assert me["data"]["me"]["memberships"] == [{"organization": {"name": "Org A"}}]


async def test_other_organizations_cannot_be_entered_or_acted_on(client):
    a = await sign_up(client, "a@example.com", org="Org A")
    b = await sign_up(client, "b@example.com", org="Org B")
    switched = await gql(client, SWITCH, {"id": b.org_id}, token=a.token)
    assert switched["data"]["switchOrganization"]["code"] == "NOT_FOUND"
    removal = await gql(
        client,
        """mutation($u: ID!) { removeMember(input: {userId: $u}) {
        __typename ... on UserError { code message } } }""",
        {"u": b.user_id},
        token=a.token,
    )
    assert removal["data"]["removeMember"] == {
        "__typename": "NotFoundError",
        "code": "NOT_FOUND",
        "message": "No such member.",
    }
    login = await gql(
        client,
        """mutation($org: ID!) { logIn(input: {email: "a@example.com",
        password: "correct horse battery staple", organizationId: $org}) {
        __typename ... on UserError { code } } }""",
        {"org": b.org_id},
    )
    assert login["data"]["logIn"] == {"__typename": "ValidationError", "code": "NOT_FOUND"}


async def test_manual_instruments_of_another_organization_are_invisible_and_untouchable(client):
    a = await sign_up(client, "a@example.com", org="Org A")
    b = await sign_up(client, "b@example.com", org="Org B")
    ids_b = await object_ids(client, b)
    await object_ids(client, a)
    symbol_b = "HOUSE-B"
    own = await gql(client, '{ instrument(symbol: "HOUSE-B") { symbol } }', token=b.token)
    assert own["data"]["instrument"] == {"symbol": symbol_b}  # the control
    seen = await gql(client, '{ instrument(symbol: "HOUSE-B") { symbol } }', token=a.token)
    assert seen == {"data": {"instrument": None}}
    listed = await gql(
        client, '{ instruments(search: "HOUSE") { edges { node { symbol } } } }', token=a.token
    )
    assert [e["node"]["symbol"] for e in listed["data"]["instruments"]["edges"]] == ["HOUSE-A"]
    # Symbols (and ids) smuggled into inputs are refused as unknown; nothing is written.
    prices = [{"date": "2024-01-02", "close": "1"}]
    record = await gql(
        client, RECORD, {"input": {"symbol": symbol_b, "prices": prices}}, token=a.token
    )
    assert record["data"]["recordPrices"]["code"] == "NOT_FOUND"
    imported = await gql(
        client,
        IMPORT,
        {"input": {"symbol": symbol_b, "csv": "date,close\n2024-01-02,1\n"}},
        token=a.token,
    )
    assert imported["data"]["importPricesCsv"]["code"] == "NOT_FOUND"
    tracked = await gql(client, TRACK, {"symbol": symbol_b}, token=a.token)
    assert tracked["data"]["trackInstrument"]["code"] == "NOT_FOUND"
    smuggled_id = await gql(client, TRACK, {"symbol": ids_b["Instrument"]}, token=a.token)
    assert smuggled_id["data"]["trackInstrument"]["__typename"] in {
        "ValidationError",
        "NotFoundError",
    }
    # B may still create its own instrument named like A's: symbols are per organization.
    same = await gql(
        client,
        CREATE_INSTRUMENT,
        {"input": {"symbol": "HOUSE-A", "name": "Mine", "kind": "OTHER", "currency": "EUR"}},
        token=b.token,
    )
    assert same["data"]["createManualInstrument"]["__typename"] == "CreateManualInstrumentSuccess"
    latest = await gql(
        client, '{ instrument(symbol: "HOUSE-B") { latestPrice { close } } }', token=b.token
    )
    assert latest["data"]["instrument"]["latestPrice"] is None


IMPORT_NODES = """query($id: ID!) { node(id: $id) { __typename id
  ... on BankImport { status } ... on BankLine { payee } ... on CategorizationRule { name }
  ... on CsvMapping { name } ... on BankConnection { connection: status } } }"""
RULE = """mutation($input: RuleInput!) { createCategorizationRule(input: $input) { __typename
  ... on CategorizationRuleSuccess { rule { id } } ... on UserError { code field }
  ... on ValidationError { problems { field code } } } }"""
MAPPING = """mutation { saveCsvMapping(input: {name: "Mine", mapping: {dateColumn: "Date",
  descriptionColumn: "Text", amountColumn: "Amount"}}) { __typename
  ... on CsvMappingSuccess { mapping { id } } } }"""


async def bank_objects(client, settings, account) -> dict[str, str]:
    from tests.api.imports_client import chart, import_statement, run_jobs
    from tests.services.imports_fixtures import fixture

    codes = await chart(client, account.token)
    started = await import_statement(
        client, account.token, {"accountId": codes["1010"]}, fixture("chase_checking.csv")
    )
    await run_jobs(settings)
    lines = await gql(
        client, "{ bankLines(first: 1) { edges { node { id } } } }", token=account.token
    )
    rule = await gql(
        client,
        RULE,
        {
            "input": {
                "name": "Coffee",
                "conditions": {"text": [{"value": "coffee"}]},
                "actions": {"categoryAccountId": codes["5400"]},
            }
        },
        token=account.token,
    )
    mapping = await gql(client, MAPPING, token=account.token)
    return {
        "codes": codes,  # type: ignore[dict-item]
        "BankImport": started["import"]["id"],
        "BankLine": lines["data"]["bankLines"]["edges"][0]["node"]["id"],
        "CategorizationRule": rule["data"]["createCategorizationRule"]["rule"]["id"],
        "CsvMapping": mapping["data"]["saveCsvMapping"]["mapping"]["id"],
    }


async def test_bank_import_objects_of_another_organization_are_invisible_and_untouchable(
    client, settings
):
    from tests.api.imports_client import import_statement
    from tests.services.imports_fixtures import fixture

    a = await sign_up(client, "a@example.com", org="Org A")
    b = await sign_up(client, "b@example.com", org="Org B")
    ids_a = await bank_objects(client, settings, a)
    ids_b = await bank_objects(client, settings, b)
    for type_name in ("BankImport", "BankLine", "CategorizationRule", "CsvMapping"):
        own = await gql(client, IMPORT_NODES, {"id": ids_a[type_name]}, token=a.token)
        assert own["data"]["node"]["__typename"] == type_name, own  # the control
        foreign = await gql(client, IMPORT_NODES, {"id": ids_b[type_name]}, token=a.token)
        assert foreign == {"data": {"node": None}}, (type_name, foreign)
    imported = await gql(
        client, f'{{ import(id: "{ids_b["BankImport"]}") {{ id }} }}', token=a.token
    )
    assert imported == {"data": {"import": None}}
    for query, path in (
        ("{ imports { edges { node { id } } } }", "imports"),
        ("{ bankLines(first: 100) { edges { node { id } } } }", "bankLines"),
    ):
        listed = await gql(client, query, token=a.token)
        seen = {e["node"]["id"] for e in listed["data"][path]["edges"]}
        assert ids_a["BankImport" if path == "imports" else "BankLine"] in seen
        assert not seen & {ids_b["BankImport"], ids_b["BankLine"]}
    rules = await gql(client, "{ categorizationRules { id } }", token=a.token)
    assert rules["data"]["categorizationRules"] == [{"id": ids_a["CategorizationRule"]}]
    mappings = await gql(client, "{ csvMappings { id } }", token=a.token)
    assert mappings["data"]["csvMappings"] == [{"id": ids_a["CsvMapping"]}]

    # Org A's account ids smuggled into org B's inputs are unknown accounts; nothing is written.
    codes_a = ids_a["codes"]
    smuggled_import = await import_statement(
        client, b.token, {"accountId": codes_a["1010"]}, fixture("chase_checking.csv")
    )
    assert (smuggled_import["code"], smuggled_import["field"]) == ("NOT_FOUND", "input.accountId")
    reconcile = await gql(
        client,
        """mutation($input: ReconcileAccountInput!) { reconcileAccount(input: $input) {
        __typename ... on UserError { code field } } }""",
        {
            "input": {
                "accountId": codes_a["1010"],
                "statementDate": "2026-09-30",
                "statementBalance": "0",
            }
        },
        token=b.token,
    )
    assert reconcile["data"]["reconcileAccount"] == {
        "__typename": "NotFoundError",
        "code": "NOT_FOUND",
        "field": "input.accountId",
    }
    smuggled_rule = await gql(
        client,
        RULE,
        {
            "input": {
                "name": "Theirs",
                "conditions": {"accountIds": [codes_a["1010"]]},
                "actions": {"categoryAccountId": codes_a["5100"]},
            }
        },
        token=b.token,
    )
    assert {
        (p["field"], p["code"])
        for p in smuggled_rule["data"]["createCategorizationRule"]["problems"]
    } == {
        ("input.conditions.accountIds[0]", "NOT_FOUND"),
        ("input.actions.categoryAccountId", "NOT_FOUND"),
    }
    # Org A's lines and rules named in org B's mutations are unknown too.
    categorize = await gql(
        client,
        """mutation($input: CategorizeLinesInput!) { categorizeLines(input: $input) {
        __typename ... on ValidationError { problems { field code } } } }""",
        {"input": {"lineIds": [ids_a["BankLine"]], "accountId": ids_b["codes"]["5100"]}},
        token=b.token,
    )
    assert categorize["data"]["categorizeLines"]["problems"] == [
        {"field": "input.lineIds[0]", "code": "NOT_FOUND"}
    ]
    deleted = await gql(
        client,
        f'mutation {{ deleteCategorizationRule(input: {{ruleId: "{ids_a["CategorizationRule"]}"}}) '
        "{ __typename ... on UserError { code } } }",
        token=b.token,
    )
    assert deleted["data"]["deleteCategorizationRule"] == {
        "__typename": "NotFoundError",
        "code": "NOT_FOUND",
    }
    suggested = await gql(
        client,
        f'{{ suggestCategories(lineIds: ["{ids_a["BankLine"]}"]) {{ accountId }} }}',
        token=b.token,
    )
    assert suggested["data"]["suggestCategories"] == [{"accountId": None}]
