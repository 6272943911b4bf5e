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


async def test_debts_budgets_goals_of_another_organization_are_invisible_and_untouchable(client):
    from tests.api.test_budgets_goals_api import (
        CONTRIBUTE,
        CREATE_BUDGET,
        CREATE_GOAL,
        EXPENSE,
        MONTH,
        expense,
    )
    from tests.api.test_debts_api import CREATE, PAY, PLAN, loan_input, months_ago
    from tests.api.test_ledger_api import chart

    a = await sign_up(client, "a@example.com", org="Org A")
    b = await sign_up(client, "b@example.com", org="Org B")
    codes_a, codes_b = await chart(client, a), await chart(client, b)
    ids: dict[str, dict[str, str]] = {}
    for who, codes in ((a, codes_a), (b, codes_b)):
        debt = await gql(client, CREATE, loan_input(codes), token=who.token)
        budget = await gql(
            client,
            CREATE_BUDGET,
            {
                "input": {
                    "name": "Food",
                    "accountId": codes["5100"],
                    "amount": "100",
                    "startMonth": MONTH.isoformat(),
                }
            },
            token=who.token,
        )
        goal = await gql(
            client,
            CREATE_GOAL,
            {
                "input": {
                    "name": "Fund",
                    "kind": "EMERGENCY_FUND",
                    "targetAmount": "100",
                    "currency": "EUR",
                    "accountIds": [codes["1020"]],
                }
            },
            token=who.token,
        )
        ids[who.email] = {
            "Debt": debt["data"]["createDebt"]["debt"]["id"],
            "Budget": budget["data"]["createBudget"]["budget"]["id"],
            "Goal": goal["data"]["createGoal"]["goal"]["id"],
        }
    mine, theirs = ids["a@example.com"], ids["b@example.com"]
    node = "query($id: ID!) { node(id: $id) { __typename } }"
    for type_name in ("Debt", "Budget", "Goal"):
        own = await gql(client, node, {"id": mine[type_name]}, token=a.token)
        assert own["data"]["node"]["__typename"] == type_name  # the control
        foreign = await gql(client, node, {"id": theirs[type_name]}, token=a.token)
        assert foreign == {"data": {"node": None}}, type_name
    for field, type_name in (("debt", "Debt"), ("budget", "Budget"), ("goal", "Goal")):
        body = await gql(
            client, f'{{ {field}(id: "{theirs[type_name]}") {{ id }} }}', token=a.token
        )
        assert body == {"data": {field: None}}
    lists = await gql(
        client,
        "{ debts(first: 10) { edges { node { id } } } budgets(first: 10) { edges { node { id } } }"
        " goals(first: 10) { edges { node { id } } } }",
        token=a.token,
    )
    assert [e["node"]["id"] for e in lists["data"]["debts"]["edges"]] == [mine["Debt"]]
    assert [e["node"]["id"] for e in lists["data"]["budgets"]["edges"]] == [mine["Budget"]]
    assert [e["node"]["id"] for e in lists["data"]["goals"]["edges"]] == [mine["Goal"]]

    # B's ids smuggled into A's inputs: typed errors naming the field; nothing written.
    debt = await gql(
        client,
        CREATE,
        loan_input(codes_a, liabilityAccountId=codes_b["2100"], idempotencyKey="x"),
        token=a.token,
    )
    assert debt["data"]["createDebt"]["problems"] == [
        {"field": "input.liabilityAccountId", "code": "NOT_FOUND"}
    ]
    paid = await gql(
        client,
        PAY,
        {
            "input": {
                "debtId": theirs["Debt"],
                "date": months_ago(1, 5).isoformat(),
                "amount": "10",
                "fromAccountId": codes_a["1010"],
                "idempotencyKey": "p",
            }
        },
        token=a.token,
    )
    assert (
        paid["data"]["recordDebtPayment"]["code"],
        paid["data"]["recordDebtPayment"]["field"],
    ) == ("NOT_FOUND", "input.debtId")
    paid_from_b = await gql(
        client,
        PAY,
        {
            "input": {
                "debtId": mine["Debt"],
                "date": months_ago(1, 5).isoformat(),
                "amount": "10",
                "fromAccountId": codes_b["1010"],
                "idempotencyKey": "q",
            }
        },
        token=a.token,
    )
    assert paid_from_b["data"]["recordDebtPayment"]["field"] == "input.fromAccountId"
    plan = await gql(
        client,
        PLAN,
        {"input": {"monthlyBudget": "9999", "debtIds": [theirs["Debt"]]}},
        token=a.token,
    )
    assert plan["data"]["payoffPlan"]["code"] == "NOT_FOUND"
    spent = await gql(
        client,
        EXPENSE,
        expense(codes_a, "5", "s", category="5100", paymentAccountId=codes_b["1010"]),
        token=a.token,
    )
    assert spent["data"]["recordExpense"]["problems"] == [
        {"field": "input.paymentAccountId", "code": "NOT_FOUND"}
    ]
    spent = await gql(
        client,
        EXPENSE,
        {"input": {**expense(codes_a, "5", "t")["input"], "categoryId": codes_b["5100"]}},
        token=a.token,
    )
    assert spent["data"]["recordExpense"]["problems"] == [
        {"field": "input.categoryId", "code": "NOT_FOUND"}
    ]
    budget = await gql(
        client,
        CREATE_BUDGET,
        {
            "input": {
                "name": "x",
                "accountId": codes_b["5100"],
                "amount": "1",
                "startMonth": MONTH.isoformat(),
            }
        },
        token=a.token,
    )
    assert budget["data"]["createBudget"]["problems"][0]["code"] == "NOT_FOUND"
    updated = await gql(
        client,
        """mutation($id: ID!) { updateBudget(input: {budgetId: $id, amount: "1"}) {
          __typename ... on UserError { code } } }""",
        {"id": theirs["Budget"]},
        token=a.token,
    )
    assert updated["data"]["updateBudget"]["code"] == "NOT_FOUND"
    goal = await gql(
        client,
        CREATE_GOAL,
        {
            "input": {
                "name": "x",
                "kind": "OTHER",
                "targetAmount": "1",
                "currency": "EUR",
                "accountIds": [codes_b["1020"]],
            }
        },
        token=a.token,
    )
    assert goal["data"]["createGoal"]["problems"] == [
        {"field": "input.accountIds[0]", "code": "NOT_FOUND"}
    ]
    contributed = await gql(
        client,
        CONTRIBUTE,
        {
            "input": {
                "goalId": theirs["Goal"],
                "amount": "1",
                "fromAccountId": codes_a["1010"],
                "toAccountId": codes_a["1020"],
                "date": MONTH.isoformat(),
                "idempotencyKey": "c",
            }
        },
        token=a.token,
    )
    assert contributed["data"]["contributeToGoal"]["code"] == "NOT_FOUND"
    # Nothing of B moved: its checking account saw no posting.
    balance = await gql(
        client, f'{{ account(id: "{codes_b["1010"]}") {{ balance }} }}', token=b.token
    )
    assert balance["data"]["account"]["balance"] == "0"


RECEIVABLES_NODE = """query($id: ID!) { node(id: $id) { __typename
  ... on Counterparty { name } ... on Charge { amount } ... on Payment { amount } } }"""


async def receivables_of(client, account) -> dict[str, str]:
    from tests.api.test_receivables_api import add_charge, add_payment, setup

    codes, cp = await setup(client, account)
    charge = await add_charge(client, account, cp, "100", "2026-01-01")
    payment = await add_payment(
        client, account, cp, "40", "2026-01-02", codes["1000"], allocate="NONE"
    )
    return {
        "Counterparty": cp,
        "Charge": charge["charge"]["id"],
        "Payment": payment["payment"]["id"],
        "bank": codes["1000"],
        "income": codes["4000"],
    }


async def test_receivables_of_another_organization_are_invisible_and_untouchable(client):
    from tests.api.test_receivables_api import (
        ALLOCATE,
        CREATE_CHARGE,
        CREATE_COUNTERPARTY,
        RECORD_PAYMENT,
        VOID_CHARGE,
        VOID_PAYMENT,
    )

    a = await sign_up(client, "a@example.com", org="Org A")
    b = await sign_up(client, "b@example.com", org="Org B")
    ids_a, ids_b = await receivables_of(client, a), await receivables_of(client, b)
    for type_name in ("Counterparty", "Charge", "Payment"):
        own = await gql(client, RECEIVABLES_NODE, {"id": ids_a[type_name]}, token=a.token)
        assert own["data"]["node"]["__typename"] == type_name, own  # the control
        foreign = await gql(client, RECEIVABLES_NODE, {"id": ids_b[type_name]}, token=a.token)
        assert foreign == {"data": {"node": None}}, (type_name, foreign)
    listed = await gql(
        client,
        """{ counterparties { edges { node { id } } } charges { edges { node { id } } }
        payments { edges { node { id } } } aging(asOf: "2026-02-01") { rows { key } } }""",
        token=a.token,
    )
    data = listed["data"]
    assert [e["node"]["id"] for e in data["counterparties"]["edges"]] == [ids_a["Counterparty"]]
    assert [e["node"]["id"] for e in data["charges"]["edges"]] == [ids_a["Charge"]]
    assert [e["node"]["id"] for e in data["payments"]["edges"]] == [ids_a["Payment"]]
    assert [r["key"] for r in data["aging"]["rows"]] == [ids_a["Counterparty"]]
    statement = await gql(
        client,
        """query($cp: ID!) { statementOfAccount(counterpartyId: $cp, from: "2026-01-01",
        to: "2026-12-31") { csv } }""",
        {"cp": ids_b["Counterparty"]},
        token=a.token,
    )
    assert statement == {"data": {"statementOfAccount": None}}

    async def attempt(query: str, field: str, values: dict) -> dict:
        body = await gql(client, query, {"input": values}, token=a.token)
        return body["data"][field]

    def refused(result: dict, field: str) -> None:
        assert result["__typename"] in {"NotFoundError", "ValidationError"}, result
        assert result["code"] == "NOT_FOUND" and result["field"] == field, result

    base_charge = {"kind": "RENT", "amount": "5", "dueOn": "2026-01-05", "idempotencyKey": "x1"}
    refused(
        await attempt(
            CREATE_CHARGE, "createCharge", {**base_charge, "counterpartyId": ids_b["Counterparty"]}
        ),
        "input.counterpartyId",
    )
    refused(
        await attempt(
            CREATE_CHARGE,
            "createCharge",
            {
                **base_charge,
                "idempotencyKey": "x2",
                "counterpartyId": ids_a["Counterparty"],
                "accountId": ids_b["income"],
            },
        ),
        "input.accountId",
    )
    payment = {"amount": "5", "date": "2026-01-05", "idempotencyKey": "p1"}
    refused(
        await attempt(
            RECORD_PAYMENT,
            "recordPayment",
            {**payment, "counterpartyId": ids_b["Counterparty"], "accountId": ids_a["bank"]},
        ),
        "input.counterpartyId",
    )
    refused(
        await attempt(
            RECORD_PAYMENT,
            "recordPayment",
            {
                **payment,
                "idempotencyKey": "p2",
                "counterpartyId": ids_a["Counterparty"],
                "accountId": ids_b["bank"],
            },
        ),
        "input.accountId",
    )
    refused(
        await attempt(
            RECORD_PAYMENT,
            "recordPayment",
            {
                **payment,
                "idempotencyKey": "p3",
                "counterpartyId": ids_a["Counterparty"],
                "accountId": ids_a["bank"],
                "allocate": "EXPLICIT",
                "allocations": [{"chargeId": ids_b["Charge"], "amount": "5"}],
            },
        ),
        "input.allocations[0].chargeId",
    )
    refused(
        await attempt(
            ALLOCATE, "allocatePayment", {"paymentId": ids_b["Payment"], "idempotencyKey": "a1"}
        ),
        "input.paymentId",
    )
    refused(
        await attempt(
            ALLOCATE,
            "allocatePayment",
            {
                "paymentId": ids_a["Payment"],
                "idempotencyKey": "a2",
                "allocate": "EXPLICIT",
                "allocations": [{"chargeId": ids_b["Charge"], "amount": "5"}],
            },
        ),
        "input.allocations[0].chargeId",
    )
    refused(
        await attempt(
            VOID_CHARGE, "voidCharge", {"chargeId": ids_b["Charge"], "idempotencyKey": "v1"}
        ),
        "input.chargeId",
    )
    refused(
        await attempt(
            VOID_PAYMENT, "voidPayment", {"paymentId": ids_b["Payment"], "idempotencyKey": "v2"}
        ),
        "input.paymentId",
    )
    refused(
        await attempt(
            CREATE_COUNTERPARTY,
            "createCounterparty",
            {
                "kind": "TENANT",
                "name": "Sneaky",
                "currency": "USD",
                "controlAccountId": ids_b["bank"],
            },
        ),
        "input.controlAccountId",
    )
    # B's books are exactly as B left them.
    untouched = await gql(
        client,
        """{ counterparties { edges { node { balance(asOf: "2026-12-31")
        credit(asOf: "2026-12-31") } } } charges { edges { node { status openAmount } } } }""",
        token=b.token,
    )
    assert untouched["data"] == {
        "counterparties": {"edges": [{"node": {"balance": "100.0000", "credit": "40.0000"}}]},
        "charges": {"edges": [{"node": {"status": "OPEN", "openAmount": "100.0000"}}]},
    }


PROPERTIES_NODE = """query($id: ID!) { node(id: $id) { __typename
  ... on Building { name } ... on Unit { number } ... on Lease { startsOn } } }"""


async def properties_of(client, account) -> dict[str, str]:
    from tests.api.test_properties_api import CREATE_LEASE, lease_input, portfolio
    from tests.api.test_receivables_api import CREATE_COUNTERPARTY

    codes, tenant, building, (unit, spare) = await portfolio(client, account)
    made = await gql(client, CREATE_LEASE, lease_input(unit, tenant), token=account.token)
    vendor = await gql(
        client,
        CREATE_COUNTERPARTY,
        {"input": {"kind": "VENDOR", "name": "Fix-It", "currency": "USD"}},
        token=account.token,
    )
    return {
        "Building": building,
        "Unit": unit,
        "spare": spare,
        "Lease": made["data"]["createLease"]["lease"]["id"],
        "tenant": tenant,
        "vendor": vendor["data"]["createCounterparty"]["counterparty"]["id"],
        "bank": codes["1000"],
        "repairs": codes["5000"],
    }


async def test_properties_of_another_organization_are_invisible_and_untouchable(client):
    from tests.api.test_properties_api import CREATE_LEASE, CREATE_UNIT, EXPENSE, TERMINATE
    from tests.api.test_receivables_api import CREATE_CHARGE

    a = await sign_up(client, "a@example.com", org="Org A")
    b = await sign_up(client, "b@example.com", org="Org B")
    ids_a, ids_b = await properties_of(client, a), await properties_of(client, b)
    for type_name in ("Building", "Unit", "Lease"):
        own = await gql(client, PROPERTIES_NODE, {"id": ids_a[type_name]}, token=a.token)
        assert own["data"]["node"]["__typename"] == type_name, own  # the control
        foreign = await gql(client, PROPERTIES_NODE, {"id": ids_b[type_name]}, token=a.token)
        assert foreign == {"data": {"node": None}}, (type_name, foreign)
    listed = await gql(
        client,
        """{ buildings { edges { node { id } } }
        occupancy(from: "2026-01-01", to: "2026-01-31") { rows { building { id } } } }""",
        token=a.token,
    )
    assert [e["node"]["id"] for e in listed["data"]["buildings"]["edges"]] == [ids_a["Building"]]
    assert {r["building"]["id"] for r in listed["data"]["occupancy"]["rows"]} == {ids_a["Building"]}
    flow = await gql(
        client,
        """query($b: ID!) { propertyCashFlow(buildingId: $b, from: "2026-01-01",
        to: "2026-01-31") { csv } }""",
        {"b": ids_b["Building"]},
        token=a.token,
    )
    assert flow == {"data": {"propertyCashFlow": None}}

    async def attempt(query: str, field: str, values: dict) -> dict:
        return (await gql(client, query, {"input": values}, token=a.token))["data"][field]

    def refused(result: dict, field: str) -> None:
        assert result["__typename"] in {"NotFoundError", "ValidationError"}, result
        assert result["code"] == "NOT_FOUND" and result["field"] == field, result

    lease = {
        "startsOn": "2027-01-01",
        "monthlyRent": "1",
        "idempotencyKey": "l1",
    }
    refused(
        await attempt(
            CREATE_LEASE,
            "createLease",
            {**lease, "unitId": ids_b["spare"], "parties": [{"counterpartyId": ids_a["tenant"]}]},
        ),
        "input.unitId",
    )
    refused(
        await attempt(
            CREATE_LEASE,
            "createLease",
            {
                **lease,
                "idempotencyKey": "l2",
                "unitId": ids_a["spare"],
                "parties": [{"counterpartyId": ids_b["tenant"]}],
            },
        ),
        "input.parties[0].counterpartyId",
    )
    refused(
        await attempt(CREATE_UNIT, "createUnit", {"buildingId": ids_b["Building"], "number": "9"}),
        "input.buildingId",
    )
    refused(
        await attempt(
            TERMINATE,
            "terminateLease",
            {"leaseId": ids_b["Lease"], "date": "2026-02-01", "idempotencyKey": "t1"},
        ),
        "input.leaseId",
    )
    refused(
        await attempt(
            CREATE_CHARGE,
            "createCharge",
            {
                "counterpartyId": ids_a["tenant"],
                "kind": "OTHER",
                "amount": "5",
                "dueOn": "2026-01-05",
                "accountId": ids_a["repairs"],
                "leaseId": ids_b["Lease"],
                "idempotencyKey": "c1",
            },
        ),
        "input.leaseId",
    )
    expense = {
        "vendorId": ids_a["vendor"],
        "buildingId": ids_a["Building"],
        "amount": "10",
        "date": "2026-01-05",
        "category": ids_a["repairs"],
        "paymentAccount": ids_a["bank"],
        "idempotencyKey": "e1",
    }
    for name, value, field in (
        ("vendorId", ids_b["vendor"], "input.vendorId"),
        ("buildingId", ids_b["Building"], "input.buildingId"),
        ("unitId", ids_b["Unit"], "input.unitId"),
        ("category", ids_b["repairs"], "input.category"),
        ("paymentAccount", ids_b["bank"], "input.paymentAccount"),
    ):
        refused(
            await attempt(
                EXPENSE, "recordPropertyExpense", {**expense, name: value, "idempotencyKey": name}
            ),
            field,
        )
    untouched = await gql(
        client,
        """{ buildings(first: 5) { edges { node { units(first: 5) { number
        leases(first: 2) { terminatedOn } } } } }
        charges(first: 10) { edges { node { kind } } } }""",
        token=b.token,
    )
    assert untouched["data"]["buildings"]["edges"][0]["node"]["units"] == [
        {"number": "1A", "leases": [{"terminatedOn": None}]},
        {"number": "1B", "leases": []},
    ]
    assert [e["node"]["kind"] for e in untouched["data"]["charges"]["edges"]] == ["DEPOSIT"]


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
