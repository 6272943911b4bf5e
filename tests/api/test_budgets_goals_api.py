"""Budgets, goals and the income/expense shortcuts through GraphQL: status from the ledger,
alerts emitted once per budget and month from the posting that crossed the line (seen live
on organizationActivity), goal progress and milestones once each, statistics, typed errors,
pinned statement counts."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from decimal import Decimal

import asyncpg
import pytest

from tests.api.test_ledger_api import chart
from tests.api.test_organization_activity import subscribe
from tests.api.test_query_counts import statements_for
from tests.conftest import _plain
from tests.graphql_client import gql, sign_up

EXPENSE = """mutation($input: RecordIncomeExpenseInput!) { recordExpense(input: $input) {
  __typename ... on JournalEntrySuccess { replayed entry { id memo lines { amount
      account { code } counterparty memo } } }
  ... on ValidationError { code field problems { field code } }
  ... on UserError { code field message } } }"""
INCOME = EXPENSE.replace("recordExpense", "recordIncome")
CREATE_BUDGET = """mutation($input: CreateBudgetInput!) { createBudget(input: $input) {
  __typename ... on BudgetSuccess { budget { id name currency } }
  ... on ValidationError { problems { field code } } ... on UserError { code field } } }"""
STATUS = """query($id: ID!, $month: Date) { budget(id: $id) { name status(month: $month) {
  month budgeted carriedIn available spent remaining percentUsed thresholdCrossed
  projectedSpend projectedOverspend remainingPerDay yearToDateSpent } } }"""
CREATE_GOAL = """mutation($input: CreateGoalInput!) { createGoal(input: $input) {
  __typename ... on GoalSuccess { goal { id progress { saved percent milestonesReached } } }
  ... on ValidationError { problems { field code } } ... on UserError { code field } } }"""
CONTRIBUTE = """mutation($input: ContributeToGoalInput!) { contributeToGoal(input: $input) {
  __typename ... on ContributionSuccess { replayed goal { id } }
  ... on UserError { code field message } } }"""
GOAL = """query($id: ID!) { goal(id: $id) { progress { saved percent remaining
  requiredMonthlySaving monthlySavingRate projectedCompletionDate milestonesReached } } }"""

TODAY = date.today()
MONTH = TODAY.replace(day=1)


def expense(codes, amount: str, key: str, *, category: str = "5100", day: date = TODAY, **extra):
    values = {
        "title": "Groceries",
        "amount": amount,
        "categoryId": codes[category],
        "date": day.isoformat(),
        "paymentAccountId": codes["1010"],
        "idempotencyKey": key,
    }
    values.update(extra)
    return {"input": values}


async def test_shortcuts_post_balanced_entries_with_tags_notes_and_payee(client, database_url):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    body = await gql(
        client,
        EXPENSE,
        expense(
            codes,
            "42.50",
            "e1",
            tags=[{"key": "shop", "value": "market"}],
            notes="weekly",
            payee="Corner Market",
        ),
        token=owner.token,
    )
    assert "data" in body, body
    entry = body["data"]["recordExpense"]["entry"]
    assert entry["memo"] == "Groceries"
    assert [(x["amount"], x["account"]["code"]) for x in entry["lines"]] == [
        ("42.50", "5100"),
        ("-42.50", "1010"),
    ]
    owner_db = await asyncpg.connect(_plain(database_url))
    try:
        stored = await owner_db.fetch(
            "SELECT dimensions::text AS d FROM journal_lines ORDER BY line_no"
        )
    finally:
        await owner_db.close()
    assert [json.loads(r["d"]) for r in stored] == [{"shop": "market"}, {}]
    assert (entry["lines"][0]["memo"], entry["lines"][0]["counterparty"]) == (
        "weekly",
        "Corner Market",
    )
    income = await gql(
        client,
        INCOME,
        expense(codes, "3000", "i1", category="4000", title="Salary"),
        token=owner.token,
    )
    lines = income["data"]["recordIncome"]["entry"]["lines"]
    assert [(x["amount"], x["account"]["code"]) for x in lines] == [
        ("-3000", "4000"),
        ("3000", "1010"),
    ]
    replay = await gql(
        client,
        EXPENSE,
        expense(
            codes,
            "42.50",
            "e1",
            tags=[{"key": "shop", "value": "market"}],
            notes="weekly",
            payee="Corner Market",
        ),
        token=owner.token,
    )
    assert replay["data"]["recordExpense"]["replayed"] is True
    wrong = await gql(
        client, EXPENSE, expense(codes, "1", "e2", category="4000"), token=owner.token
    )
    assert wrong["data"]["recordExpense"]["problems"] == [
        {"field": "input.categoryId", "code": "WRONG_ACCOUNT_TYPE"}
    ]
    bad_tag = await gql(
        client,
        EXPENSE,
        expense(codes, "1", "e3", tags=[{"key": "Bad Key", "value": "x"}]),
        token=owner.token,
    )
    assert bad_tag["data"]["recordExpense"]["problems"][0]["field"].startswith("input.tags")


async def test_budget_status_rollover_and_alerts_once_per_month(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    last_month = (MONTH - timedelta(days=1)).replace(day=1)
    created = await gql(
        client,
        CREATE_BUDGET,
        {
            "input": {
                "name": "Food",
                "accountId": codes["5100"],
                "amount": "400",
                "rollover": "CARRY_UNSPENT",
                "alertThresholdPercent": "75",
                "startMonth": last_month.isoformat(),
            }
        },
        token=owner.token,
    )
    budget_id = created["data"]["createBudget"]["budget"]["id"]
    await gql(client, EXPENSE, expense(codes, "300", "last", day=last_month), token=owner.token)
    # 300 of 400 last month: 100 carried into this one.
    await gql(client, EXPENSE, expense(codes, "100", "now-1", day=MONTH), token=owner.token)
    status = (await gql(client, STATUS, {"id": budget_id}, token=owner.token))["data"]["budget"][
        "status"
    ]
    assert (status["carriedIn"], status["available"], status["spent"]) == (
        "100.00",
        "500.00",
        "100.00",
    )
    assert status["percentUsed"] == "20.00" and not status["thresholdCrossed"]
    past = await gql(
        client, STATUS, {"id": budget_id, "month": last_month.isoformat()}, token=owner.token
    )
    assert past["data"]["budget"]["status"]["thresholdCrossed"] is True  # 75 %
    # Crossing 75 % of 500 this month: one alert, however many postings follow.
    for n in range(3):
        await gql(
            client, EXPENSE, expense(codes, "100", f"now-{n + 2}", day=MONTH), token=owner.token
        )
    log = await gql(
        client, "{ auditLog(first: 50) { edges { node { action details } } } }", token=owner.token
    )
    alerts = [
        e["node"]
        for e in log["data"]["auditLog"]["edges"]
        if e["node"]["action"] == "budget.threshold"
    ]
    months = sorted(a["details"]["month"] for a in alerts)
    assert months == sorted({last_month.isoformat()[:7], MONTH.isoformat()[:7]})
    # An unrelated category never touches the budget.
    other = await gql(
        client, EXPENSE, expense(codes, "999", "other", category="5200"), token=owner.token
    )
    assert other["data"]["recordExpense"]["__typename"] == "JournalEntrySuccess"
    status = (await gql(client, STATUS, {"id": budget_id}, token=owner.token))["data"]["budget"][
        "status"
    ]
    assert status["spent"] == "400.00"


async def test_a_budget_needs_an_expense_category_of_the_organization(client):
    a = await sign_up(client, "a@example.com", org="A")
    b = await sign_up(client, "b@example.com", org="B")
    codes_a, codes_b = await chart(client, a), await chart(client, b)
    for account, code in ((codes_a["1010"], "WRONG_ACCOUNT_TYPE"), (codes_b["5100"], "NOT_FOUND")):
        body = await gql(
            client,
            CREATE_BUDGET,
            {
                "input": {
                    "name": "x",
                    "accountId": account,
                    "amount": "1",
                    "startMonth": MONTH.isoformat(),
                }
            },
            token=a.token,
        )
        assert body["data"]["createBudget"]["problems"] == [
            {"field": "input.accountId", "code": code}
        ]


@pytest.mark.parametrize("tracking", ["CONTRIBUTIONS", "ACCOUNTS"])
async def test_goal_progress_and_milestones_once(client, tracking):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    await gql(client, INCOME, expense(codes, "5000", "pay", category="4000"), token=owner.token)
    created = await gql(
        client,
        CREATE_GOAL,
        {
            "input": {
                "name": "Rainy day",
                "kind": "EMERGENCY_FUND",
                "targetAmount": "1000",
                "currency": "EUR",
                "tracking": tracking,
                "targetDate": (TODAY + timedelta(days=200)).isoformat(),
                "accountIds": [codes["1020"]] if tracking == "ACCOUNTS" else None,
            }
        },
        token=owner.token,
    )
    goal_id = created["data"]["createGoal"]["goal"]["id"]
    for n, amount in enumerate(("300", "300", "500")):
        body = await gql(
            client,
            CONTRIBUTE,
            {
                "input": {
                    "goalId": goal_id,
                    "amount": amount,
                    "fromAccountId": codes["1010"],
                    "toAccountId": codes["1020"],
                    "date": TODAY.isoformat(),
                    "idempotencyKey": f"c{n}",
                }
            },
            token=owner.token,
        )
        assert body["data"]["contributeToGoal"]["__typename"] == "ContributionSuccess", body
    progress = (await gql(client, GOAL, {"id": goal_id}, token=owner.token))["data"]["goal"][
        "progress"
    ]
    assert (progress["saved"], progress["percent"], progress["remaining"]) == (
        "1100.00",
        "110.00",
        "0.00",
    )
    assert progress["milestonesReached"] == [25, 50, 75, 100]
    assert progress["projectedCompletionDate"] == TODAY.isoformat()
    log = await gql(
        client, "{ auditLog(first: 50) { edges { node { action details } } } }", token=owner.token
    )
    reached = sorted(
        e["node"]["details"]["milestone"]
        for e in log["data"]["auditLog"]["edges"]
        if e["node"]["action"] == "goal.milestone_reached"
    )
    assert reached == [25, 50, 75, 100]  # 600 passed two at once; each once
    assert (
        await gql(
            client,
            '{ balances(period: {from: "2000-01-01", to: "2100-01-01"}) { closing } }',
            token=owner.token,
        )
    )["data"]


async def test_income_expense_statistics_from_the_ledger(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    prev = (MONTH - timedelta(days=1)).replace(day=1)
    for key, (amount, category, day, payee) in enumerate(
        [
            ("2000", "4000", prev, None),
            ("500", "5100", prev, "Market"),
            ("2000", "4000", MONTH, None),
            ("800", "5100", MONTH, "Market"),
            ("200", "5400", MONTH, "Cinema"),
        ]
    ):
        mutation = INCOME if category.startswith("4") else EXPENSE
        await gql(
            client,
            mutation,
            expense(codes, amount, f"k{key}", category=category, day=day, payee=payee),
            token=owner.token,
        )
    body = await gql(
        client,
        """query($from: Date!, $to: Date!) { incomeExpenseStats(from: $from, to: $to) {
          currency periods { label income expenses net savingsRatePercent
            expensesChangePercent }
          categories { accountId total average changePercent }
          topPayees { name total count } } }""",
        {
            "from": prev.isoformat(),
            "to": ((MONTH + timedelta(days=40)).replace(day=1) - timedelta(days=1)).isoformat(),
        },
        token=owner.token,
    )
    stats = body["data"]["incomeExpenseStats"]
    first, second = stats["periods"][0], stats["periods"][1]
    assert (first["income"], first["expenses"], first["savingsRatePercent"]) == (
        "2000.00",
        "500.00",
        "75.00",
    )
    assert (second["expenses"], second["net"], second["expensesChangePercent"]) == (
        "1000.00",
        "1000.00",
        "100.00",
    )
    groceries = next(c for c in stats["categories"] if c["accountId"] == codes["5100"])
    assert groceries["total"] == "1300.00" and groceries["changePercent"] == "60.00"
    assert stats["topPayees"] == [
        {"name": "Market", "total": "1300.00", "count": 2},
        {"name": "Cinema", "total": "200.00", "count": 1},
    ]


async def test_budgets_and_goals_lists_cost_constant_statements(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    query = """{ budgets(first: 20) { edges { node { name status { spent available } } } }
      goals(first: 20) { edges { node { name progress { saved percent } } } } }"""

    async def add(n: int) -> None:
        await gql(
            client,
            CREATE_BUDGET,
            {
                "input": {
                    "name": f"B{n}",
                    "accountId": codes["5100" if n % 2 else "5000"],
                    "amount": "100",
                    "startMonth": MONTH.isoformat(),
                }
            },
            token=owner.token,
        )
        await gql(
            client,
            CREATE_GOAL,
            {
                "input": {
                    "name": f"G{n}",
                    "kind": "PURCHASE",
                    "targetAmount": "100",
                    "currency": "EUR",
                    "accountIds": [codes["1020"]],
                }
            },
            token=owner.token,
        )

    await add(0)
    few = await statements_for(client, query, owner.token)
    for n in range(1, 6):
        await add(n)
    many = await statements_for(client, query, owner.token)
    # begin, access check, budgets page, spending (one month), goals page, savings.
    assert few == many == 6


async def test_budget_alerts_appear_live_on_organization_activity(http, live):
    owner = await sign_up(http, "owner@example.com")
    codes = await chart(http, owner)
    created = await gql(
        http,
        CREATE_BUDGET,
        {
            "input": {
                "name": "Fun",
                "accountId": codes["5400"],
                "amount": "100",
                "startMonth": MONTH.isoformat(),
                "alertThresholdPercent": "50",
            }
        },
        token=owner.token,
    )
    assert created["data"]["createBudget"]["__typename"] == "BudgetSuccess"
    ws = await subscribe(live, owner.token)
    await asyncio.sleep(0.2)
    await gql(
        http, EXPENSE, expense(codes, "60", "fun", category="5400", day=MONTH), token=owner.token
    )
    actions = []
    try:
        while "budget.threshold" not in actions:
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            actions.append(message["payload"]["data"]["organizationActivity"]["action"])
    finally:
        await ws.close()
    assert actions[0] == "ledger.expense_recorded"
    assert "budget.threshold" in actions
    assert Decimal("60") > 0
