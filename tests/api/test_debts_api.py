"""Debts through GraphQL: creation with an opening entry, payments posted to the ledger and
split as of their date, derived balance and dates, schedule and projection, idempotency,
typed errors (overpayment, wrong accounts), the payoff planner and its shortfall error,
pinned statement counts as debts and payments grow."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from fiscus.domain.debts.arithmetic import due_date, month_index
from tests.api.test_ledger_api import chart
from tests.api.test_query_counts import statements_for
from tests.graphql_client import gql, sign_up

CREATE = """mutation($input: CreateDebtInput!) { createDebt(input: $input) { __typename
  ... on DebtSuccess { debt { id name status balance nextPaymentDate standardPayment
        payoffDate openingBalance } }
  ... on ValidationError { code field problems { field code } }
  ... on UserError { code field message } } }"""
PAY = """mutation($input: RecordDebtPaymentInput!) { recordDebtPayment(input: $input) {
  __typename
  ... on DebtPaymentSuccess { replayed payment { amount interest principal extra entryId }
        debt { status balance interestPaid totalPaid } }
  ... on UserError { code field message } } }"""
PLAN = """query($input: PayoffPlanInput!) { payoffPlan(input: $input) { __typename
  ... on PayoffPlan { currency scenarios(first: 2) { name strategies(first: 3) { strategy
        months debtFreeDate totalInterest totalPaid debts(first: 10) { name paidOff firstMonth
        monthlyPayments monthlyBalances months(first: 3) { month payment balance } } } } }
  ... on PayoffBudgetShortfallError { code field shortfall minimumPayments month }
  ... on UserError { code field message } } }"""
DEBTS = """{ debts(first: 10) { edges { node { name balance interestPaid nextPaymentDate
  payments(first: 10) { totalCount edges { node { amount interest principal } } } } } } }"""


def months_ago(n: int, day: int = 1) -> date:
    return due_date(month_index(date.today()) - n, day)


def loan_input(codes: dict[str, str], **overrides) -> dict:
    values = {
        "name": "Car loan",
        "kind": "AUTO_LOAN",
        "lender": "Bank",
        "currency": "EUR",
        "openingBalance": "12000.00",
        "annualRatePercent": "6",
        "paymentRule": {"kind": "ANNUITY", "termMonths": 36},
        "paymentDay": 5,
        "startDate": months_ago(3, 20).isoformat(),
        "liabilityAccountId": codes["2100"],
        "interestAccountId": codes["5900"],
        "openingOffsetAccountId": codes["3000"],
        "idempotencyKey": "open-car",
    }
    values.update(overrides)
    return {"input": values}


async def balance_of(client, token, account_id: str) -> str:
    body = await gql(client, f'{{ account(id: "{account_id}") {{ balance }} }}', token=token)
    return body["data"]["account"]["balance"]


async def test_a_loan_from_creation_to_payments_in_the_ledger(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    created = (await gql(client, CREATE, loan_input(codes), token=owner.token))["data"]
    debt = created["createDebt"]["debt"]
    assert debt["status"] == "ACTIVE" and debt["balance"] == "12000.00"
    # EMI(12000, 0.5 %, 36) = 365.0633... -> 365.07 (rounded up).
    assert debt["standardPayment"] == "365.07"
    # The opening balance is in the ledger: the liability is credited.
    assert await balance_of(client, owner.token, codes["2100"]) == "-12000.0000"
    again = await gql(client, CREATE, loan_input(codes), token=owner.token)
    assert again["data"]["createDebt"]["debt"]["id"] == debt["id"]  # replayed, not twice
    assert await balance_of(client, owner.token, codes["2100"]) == "-12000.0000"

    first_due = months_ago(2, 5)
    payment = {
        "debtId": debt["id"],
        "date": first_due.isoformat(),
        "amount": "365.07",
        "fromAccountId": codes["1010"],
        "idempotencyKey": "pay-1",
    }
    paid = (await gql(client, PAY, {"input": payment}, token=owner.token))["data"]
    result = paid["recordDebtPayment"]
    # First period: 12000 x 6 % / 12 = 60.00 interest, 305.07 principal.
    assert result["payment"] == {
        "amount": "365.07",
        "interest": "60.00",
        "principal": "305.07",
        "extra": "0.00",
        "entryId": result["payment"]["entryId"],
    }
    assert result["debt"]["balance"] == "11694.93" and not result["replayed"]
    assert await balance_of(client, owner.token, codes["2100"]) == "-11694.9300"
    assert await balance_of(client, owner.token, codes["5900"]) == "60.0000"
    replay = await gql(client, PAY, {"input": payment}, token=owner.token)
    assert replay["data"]["recordDebtPayment"]["replayed"] is True
    assert await balance_of(client, owner.token, codes["1010"]) == "-365.0700"

    # A payment with an extra: interest first (11694.93 x 0.5 % = 58.47465 -> 58.47).
    second = {
        **payment,
        "date": months_ago(1, 5).isoformat(),
        "extra": "1000.00",
        "idempotencyKey": "pay-2",
    }
    result = (await gql(client, PAY, {"input": second}, token=owner.token))["data"][
        "recordDebtPayment"
    ]
    assert (result["payment"]["interest"], result["payment"]["principal"]) == ("58.47", "306.60")
    assert result["debt"]["balance"] == "10388.33"
    assert result["debt"]["interestPaid"] == "118.47"

    reused = await gql(client, PAY, {"input": {**second, "amount": "1.00"}}, token=owner.token)
    assert reused["data"]["recordDebtPayment"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    too_much = await gql(
        client,
        PAY,
        {"input": {**second, "extra": "20000", "idempotencyKey": "pay-3"}},
        token=owner.token,
    )
    refused = too_much["data"]["recordDebtPayment"]
    assert (refused["__typename"], refused["code"], refused["field"]) == (
        "RuleViolationError",
        "OVERPAYMENT",
        "input.amount",
    )
    assert await balance_of(client, owner.token, codes["2100"]) == "-10388.3300"  # unchanged

    listed = await gql(client, DEBTS, token=owner.token)
    assert "data" in listed, listed
    node = listed["data"]["debts"]["edges"][0]["node"]
    assert node["payments"]["totalCount"] == 2
    assert node["nextPaymentDate"] == due_date(month_index(date.today()) + 1, 5).isoformat() or (
        node["nextPaymentDate"] == due_date(month_index(date.today()), 5).isoformat()
    )


async def test_paying_a_debt_off_marks_it_and_logs_the_event(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    created = await gql(
        client,
        CREATE,
        loan_input(
            codes,
            openingBalance="300.00",
            annualRatePercent="0",
            paymentRule={"kind": "FIXED", "amount": "100.00"},
            openingOffsetAccountId=None,
            idempotencyKey=None,
        ),
        token=owner.token,
    )
    debt_id = created["data"]["createDebt"]["debt"]["id"]
    pay = {
        "debtId": debt_id,
        "date": months_ago(1, 5).isoformat(),
        "amount": "300.00",
        "fromAccountId": codes["1010"],
        "idempotencyKey": "all",
    }
    result = (await gql(client, PAY, {"input": pay}, token=owner.token))["data"]
    assert result["recordDebtPayment"]["debt"]["status"] == "PAID_OFF"
    log = await gql(
        client, "{ auditLog(first: 5) { edges { node { action } } } }", token=owner.token
    )
    actions = [e["node"]["action"] for e in log["data"]["auditLog"]["edges"]]
    assert "debt.paid_off" in actions
    after = await gql(client, PAY, {"input": {**pay, "idempotencyKey": "more"}}, token=owner.token)
    assert after["data"]["recordDebtPayment"]["code"] == "NOT_ACTIVE"


async def test_accounts_of_the_wrong_type_are_named(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    body = await gql(
        client,
        CREATE,
        loan_input(codes, liabilityAccountId=codes["1010"], interestAccountId=codes["4000"]),
        token=owner.token,
    )
    refused = body["data"]["createDebt"]
    assert refused["problems"] == [
        {"field": "input.liabilityAccountId", "code": "WRONG_ACCOUNT_TYPE"}
    ]
    bad_terms = await gql(
        client,
        CREATE,
        loan_input(codes, paymentRule={"kind": "ANNUITY"}, paymentDay=40),
        token=owner.token,
    )
    assert {p["field"] for p in bad_terms["data"]["createDebt"]["problems"]} == {
        "input.paymentDay",
        "input.paymentRule.termMonths",
    }


async def test_schedule_and_projection(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    created = await gql(client, CREATE, loan_input(codes), token=owner.token)
    debt_id = created["data"]["createDebt"]["debt"]["id"]
    body = await gql(
        client,
        """query($id: ID!) { debt(id: $id) {
          schedule { complete totalInterest standardPayment rows { period payment balance } }
          faster: schedule(extraPerMonth: "200") { complete payoffDate rows { period } }
          projection { rows { date } } } }""",
        {"id": debt_id},
        token=owner.token,
    )
    debt = body["data"]["debt"]
    assert debt["schedule"]["complete"] and len(debt["schedule"]["rows"]) == 36
    assert debt["schedule"]["rows"][-1]["balance"] == "0.00"
    assert Decimal(debt["schedule"]["rows"][-1]["payment"]) <= Decimal("365.07")
    assert len(debt["faster"]["rows"]) < 36
    # Nothing paid: the projection starts at the first payment day after today and carries
    # the interest charged on the days already passed.
    assert date.fromisoformat(debt["projection"]["rows"][0]["date"]) > date.today()


async def test_payoff_plan_through_graphql_with_the_shortfall_error(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)
    await gql(client, CREATE, loan_input(codes, openingOffsetAccountId=None), token=owner.token)
    card = loan_input(
        codes,
        name="Card",
        kind="CREDIT_CARD",
        openingBalance="2500.00",
        annualRatePercent="22.9",
        paymentRule={"kind": "PERCENT", "percent": "2", "floor": "25.00"},
        liabilityAccountId=codes["2000"],
        openingOffsetAccountId=None,
        startDate=(date.today() - timedelta(days=1)).isoformat(),
    )
    await gql(client, CREATE, card, token=owner.token)
    plan = await gql(
        client,
        PLAN,
        {"input": {"monthlyBudget": "700", "extraPerMonth": "100"}},
        token=owner.token,
    )
    assert "data" in plan, plan
    found = plan["data"]["payoffPlan"]
    assert found["__typename"] == "PayoffPlan" and found["currency"] == "EUR"
    base, what_if = found["scenarios"]
    assert [s["strategy"] for s in base["strategies"]] == ["AVALANCHE", "SNOWBALL"]
    avalanche = base["strategies"][0]
    assert Decimal(avalanche["totalInterest"]) <= Decimal(base["strategies"][1]["totalInterest"])
    assert what_if["strategies"][0]["months"] < avalanche["months"]
    # The card (22.9 %) goes first under the avalanche.
    card_track = next(d for d in avalanche["debts"] if d["name"] == "Card")
    car_track = next(d for d in avalanche["debts"] if d["name"] == "Car loan")
    assert card_track["paidOff"] < car_track["paidOff"]
    short = await gql(client, PLAN, {"input": {"monthlyBudget": "100"}}, token=owner.token)
    error = short["data"]["payoffPlan"]
    assert error["__typename"] == "PayoffBudgetShortfallError"
    assert (error["code"], error["field"]) == ("BUDGET_BELOW_MINIMUMS", "input.monthlyBudget")
    # 365.07 + max(25, 2 % of the card's first month) - 100.
    assert Decimal(error["shortfall"]) == Decimal(error["minimumPayments"]) - 100


async def test_debts_with_payments_cost_constant_statements(client):
    owner = await sign_up(client, "owner@example.com")
    codes = await chart(client, owner)

    async def add(n: int) -> None:
        body = await gql(
            client,
            CREATE,
            loan_input(codes, name=f"Loan {n}", idempotencyKey=f"open-{n}"),
            token=owner.token,
        )
        debt_id = body["data"]["createDebt"]["debt"]["id"]
        for k in (2, 1):
            pay = {
                "debtId": debt_id,
                "date": months_ago(k, 5).isoformat(),
                "amount": "365.07",
                "fromAccountId": codes["1010"],
                "idempotencyKey": f"p-{n}-{k}",
            }
            assert (
                "payment"
                in (await gql(client, PAY, {"input": pay}, token=owner.token))["data"][
                    "recordDebtPayment"
                ]
            )

    await add(0)
    few = await statements_for(client, DEBTS, owner.token)
    for n in range(1, 6):
        await add(n)
    many = await statements_for(client, DEBTS, owner.token)
    # begin, access check, debts page, payments loader.
    assert few == many == 4
