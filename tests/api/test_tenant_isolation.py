"""Nothing of one organization is visible to another, through any field or node id."""

from __future__ import annotations

import base64
import uuid

from tests.api import portfolio_operations as pf
from tests.api.backtest_operations import RUN as BACKTEST_RUN
from tests.api.backtest_operations import backtest_input, strategy
from tests.api.test_marketdata import CREATE as CREATE_INSTRUMENT
from tests.api.test_marketdata import IMPORT, RECORD, TRACK
from tests.api.test_members import INVITE, MEMBERS, SWITCH
from tests.graphql_client import gql, sign_up


def raw_uuid(global_id: str) -> uuid.UUID:
    return uuid.UUID(base64.urlsafe_b64decode(global_id).decode().split(":", 1)[1])


NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on User { email } ... on Organization { name } ... on Invitation { email }
  ... on AuditEvent { action } ... on Member { role } ... on Instrument { symbol }
  ... on Backtest { name }
  ... on Portfolio { name } ... on PortfolioTransaction { type } } }"""


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
    portfolio = await pf.create(client, account.token, f"Savings {account.email}")
    deposit = await pf.record(
        client,
        account.token,
        portfolio,
        [{"type": "DEPOSIT", "date": "2024-01-02", "amount": "100", "reference": "d1"}],
    )
    backtest = await house_backtest(client, account)
    return {
        "Backtest": backtest,
        "Portfolio": portfolio,
        "PortfolioTransaction": deposit["transactions"][0]["id"],
        "Instrument": created["data"]["createManualInstrument"]["instrument"]["id"],
        "User": account.user_id,
        "Organization": account.org_id,
        "Invitation": invitation_id,
        "AuditEvent": audit["data"]["auditLog"]["edges"][0]["node"]["id"],
        "Member": members["data"]["organization"]["members"]["edges"][0]["node"]["id"],
    }


async def house_backtest(client, account, **kw) -> str:
    """A backtest of the account's own manual instrument (FUND-<initial>)."""
    symbol = f"FUND-{account.email[0].upper()}"
    created = await gql(
        client,
        CREATE_INSTRUMENT,
        {"input": {"symbol": symbol, "name": "Fund", "kind": "FUND", "currency": "USD"}},
        token=account.token,
    )
    assert created["data"]["createManualInstrument"]["__typename"] == (
        "CreateManualInstrumentSuccess"
    ), created
    prices = [{"date": f"2024-01-{d:02}", "close": str(100 + d)} for d in range(2, 20)]
    recorded = await gql(
        client, RECORD, {"input": {"symbol": symbol, "prices": prices}}, token=account.token
    )
    assert recorded["data"]["recordPrices"]["__typename"] == "RecordPricesSuccess", recorded
    run = await gql(
        client,
        BACKTEST_RUN,
        {
            "input": backtest_input(
                start="2024-01-02",
                end="2024-01-19",
                strategies=[strategy("House", "BUY_AND_HOLD", {symbol: "1"})],
                **kw,
            )
        },
        token=account.token,
    )
    result = run["data"]["runBacktest"]
    assert result["__typename"] == "BacktestRun", result
    backtest_id: str = result["backtest"]["id"]
    return backtest_id


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


async def test_backtests_of_another_organization_are_invisible_and_unreachable(
    http, live, settings
):
    import json

    from tests.api.backtest_operations import PROGRESS
    from tests.api.test_organization_activity import subscribe

    a = await sign_up(http, "a@example.com", org="Org A")
    b = await sign_up(http, "b@example.com", org="Org B")
    ids_a, ids_b = await object_ids(http, a), await object_ids(http, b)
    listed = await gql(http, "{ backtests { edges { node { id } } } }", token=a.token)
    assert [e["node"]["id"] for e in listed["data"]["backtests"]["edges"]] == [ids_a["Backtest"]]
    seen = await gql(
        http,
        "query($id: ID!) { backtest(id: $id) { name } }",
        {"id": ids_b["Backtest"]},
        token=a.token,
    )
    assert seen == {"data": {"backtest": None}}
    # A's portfolio id smuggled into B's request: unknown to B, nothing stored.
    portfolio_a = ids_a["Portfolio"]
    smuggled = await gql(
        http,
        BACKTEST_RUN,
        {
            "input": backtest_input(
                comparePortfolioId=portfolio_a,
                strategies=[strategy("s", "BUY_AND_HOLD", {"FUND-B": "1"})],
                start="2024-01-02",
                end="2024-01-19",
            )
        },
        token=b.token,
    )
    problems = smuggled["data"]["runBacktest"]["problems"]
    assert {(p["field"], p["code"]) for p in problems} == {
        ("input.comparePortfolioId", "NOT_FOUND")
    }
    # A's symbols are unknown to B as well.
    foreign = await gql(
        http,
        BACKTEST_RUN,
        {
            "input": backtest_input(
                strategies=[strategy("s", "BUY_AND_HOLD", {"FUND-A": "1"})],
                start="2024-01-02",
                end="2024-01-19",
            )
        },
        token=b.token,
    )
    assert foreign["data"]["runBacktest"]["problems"][0]["code"] == "NOT_FOUND"
    after = await gql(http, "{ backtests { edges { node { id } } } }", token=b.token)
    assert [e["node"]["id"] for e in after["data"]["backtests"]["edges"]] == [ids_b["Backtest"]]
    # Subscribing to A's run: B gets NOT_FOUND; A (the control) gets the run's state.
    query = PROGRESS.replace("($id: ID!)", "").replace("$id", json.dumps(ids_a["Backtest"]))
    own = await subscribe(live, a.token, query)
    first = json.loads(await own.recv())
    assert first["payload"]["data"]["backtestProgress"]["status"] == "QUEUED"
    other = await subscribe(live, b.token, query)
    refused = json.loads(await other.recv())
    assert refused["payload"]["data"] is None, refused
    assert refused["payload"]["errors"][0]["extensions"] == {
        "code": "NOT_FOUND",
        "argument": "runId",
    }
    await own.close()
    await other.close()
async def test_portfolios_of_another_organization_are_invisible_and_untouchable(
    client, database_url
):
    from tests.services.portfolio_fixtures import seed_market

    await seed_market(database_url)
    a = await sign_up(client, "a@example.com", org="Org A")
    b = await sign_up(client, "b@example.com", org="Org B")
    ids_a, ids_b = await object_ids(client, a), await object_ids(client, b)
    listed = await gql(
        client,
        "{ portfolios(first: 10) { edges { node { name transactions(first: 10) "
        "{ edges { node { id } } } } } } }",
        token=b.token,
    )
    nodes = [e["node"] for e in listed["data"]["portfolios"]["edges"]]
    assert [n["name"] for n in nodes] == ["Savings b@example.com"]
    assert [e["node"]["id"] for e in nodes[0]["transactions"]["edges"]] == [
        ids_b["PortfolioTransaction"]
    ]
    seen = await gql(
        client,
        "query($id: ID!) { portfolio(id: $id) { name } }",
        {"id": ids_a["Portfolio"]},
        token=b.token,
    )
    assert seen == {"data": {"portfolio": None}}
    # A's portfolio id smuggled into B's inputs: NOT_FOUND, nothing written.
    recorded = await pf.record(
        client,
        b.token,
        ids_a["Portfolio"],
        [{"type": "DEPOSIT", "date": "2024-01-03", "amount": "5"}],
        key="smuggled",
    )
    assert (recorded["code"], recorded["field"]) == ("NOT_FOUND", "input.portfolioId")
    a_books = [
        {"type": "DEPOSIT", "date": "2024-01-03", "amount": "10000"},
        {"type": "BUY", "date": "2024-01-04", "symbol": "AAPL", "quantity": "5", "price": "100"},
    ]
    await pf.record(client, a.token, ids_a["Portfolio"], a_books, key="a-books")
    moved = await gql(
        client,
        pf.TRANSFER,
        {
            "input": {
                "fromPortfolioId": ids_a["Portfolio"],
                "toPortfolioId": ids_b["Portfolio"],
                "date": "2024-02-01",
                "symbol": "AAPL",
                "quantity": "1",
                "idempotencyKey": "t",
            }
        },
        token=b.token,
    )
    assert moved["data"]["transferBetweenPortfolios"]["field"] == "input.fromPortfolioId"
    moved = await gql(
        client,
        pf.TRANSFER,
        {
            "input": {
                "fromPortfolioId": ids_b["Portfolio"],
                "toPortfolioId": ids_a["Portfolio"],
                "date": "2024-02-01",
                "symbol": "AAPL",
                "quantity": "1",
                "idempotencyKey": "t2",
            }
        },
        token=b.token,
    )
    assert moved["data"]["transferBetweenPortfolios"]["field"] == "input.toPortfolioId"
    # A's lot id named in B's SPECIFIC sell: not an open lot of B.
    lots_a = await gql(
        client,
        "query($id: ID!) { portfolio(id: $id) { lots(open: true) { id } } }",
        {"id": ids_a["Portfolio"]},
        token=a.token,
    )
    lot_a = lots_a["data"]["portfolio"]["lots"][0]["id"]
    specific = await pf.create(client, b.token, "Specific", costBasisMethod="SPECIFIC")
    picked = await pf.record(
        client,
        b.token,
        specific,
        [
            {"type": "DEPOSIT", "date": "2024-01-03", "amount": "10000"},
            {
                "type": "BUY",
                "date": "2024-01-04",
                "symbol": "AAPL",
                "quantity": "5",
                "price": "100",
            },
            {
                "type": "SELL",
                "date": "2024-01-05",
                "symbol": "AAPL",
                "quantity": "1",
                "price": "100",
                "lots": [{"lotId": lot_a, "quantity": "1"}],
            },
        ],
        key="picked",
    )
    assert (picked["code"], picked["field"]) == (
        "LOT_NOT_OPEN",
        "input.transactions[2].lots[0].lotId",
    )
    for mutation, name in (
        (pf.UPDATE_TX, "updatePortfolioTransaction"),
        (pf.DELETE_TX, "deletePortfolioTransaction"),
    ):
        variables = {"input": {"transactionId": ids_a["PortfolioTransaction"]}}
        if name == "updatePortfolioTransaction":
            variables["input"]["note"] = "mine now"
        touched = await gql(client, mutation, variables, token=b.token)
        assert touched["data"][name]["code"] == "NOT_FOUND", touched
    exported = await gql(
        client,
        pf.EXPORT,
        {"input": {"portfolioId": ids_a["Portfolio"], "taxYear": 2024, "format": "CSV"}},
        token=b.token,
    )
    assert exported["data"]["exportCapitalGains"]["code"] == "NOT_FOUND"
    own = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Portfolio { cash } } }",
        {"id": ids_a["Portfolio"]},
        token=a.token,
    )
    assert own["data"]["node"]["cash"] == "9600.0000"  # A's books are as A left them
