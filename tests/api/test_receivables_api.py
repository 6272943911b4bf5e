"""Receivables through GraphQL: counterparties, charges, payments with every allocation mode,
voids, typed errors naming the input, aging and statements of account (with CSV), the
entries on ledgerActivity, and pinned statement counts for the connections."""

from __future__ import annotations

import asyncio
import uuid

from tests.api.test_organization_activity import next_payload, subscribe
from tests.api.test_query_counts import statements_for
from tests.graphql_client import gql, sign_up

TEMPLATE = """mutation { applyAccountTemplate(input: {template: "property_management",
  currency: "USD"}) { __typename ... on ChartSuccess { accounts { id code } } } }"""
CREATE_COUNTERPARTY = """mutation($input: CreateCounterpartyInput!) {
  createCounterparty(input: $input) { __typename
    ... on CounterpartySuccess { counterparty { id name kind controlAccount { code } } }
    ... on UserError { code field message } } }"""
CREATE_CHARGE = """mutation($input: CreateChargeInput!) { createCharge(input: $input) {
  __typename
  ... on ChargeSuccess { replayed charge { id status amount openAmount } allocations { amount } }
  ... on ValidationError { code field problems { field code } }
  ... on UserError { code field message } } }"""
RECORD_PAYMENT = """mutation($input: RecordPaymentInput!) { recordPayment(input: $input) {
  __typename
  ... on PaymentSuccess { replayed payment { id unallocatedAmount }
    allocations { amount charge { id status } } }
  ... on ValidationError { code field problems { field code } }
  ... on UserError { code field message } } }"""
ALLOCATE = """mutation($input: AllocatePaymentInput!) { allocatePayment(input: $input) {
  __typename ... on PaymentSuccess { allocations { amount } }
  ... on UserError { code field message } } }"""
VOID_CHARGE = """mutation($input: VoidChargeInput!) { voidCharge(input: $input) {
  __typename ... on ChargeSuccess { charge { status voidedOn } }
  ... on UserError { code field message } } }"""
VOID_PAYMENT = """mutation($input: VoidPaymentInput!) { voidPayment(input: $input) {
  __typename ... on PaymentSuccess { payment { status } }
  ... on UserError { code field message } } }"""
CHARGES = """query($cp: ID, $status: ChargeStatus) { charges(first: 20, counterpartyId: $cp,
  status: $status) { edges { node { id amount status openAmount
    counterparty { name balance credit } allocations { amount payment { reference } } } } } }"""
ALL_CHARGES = """{ charges(first: 20) { edges { node { id amount status openAmount
  counterparty { name balance credit } allocations { amount payment { reference } } } } } }"""
COUNTERPARTIES = """{ counterparties(first: 100) { edges { node { name balance credit
  controlAccount { code } } } } }"""
PAYMENTS = """{ payments(first: 20) { edges { node { amount unallocatedAmount
  counterparty { name } allocations { amount charge { dueOn } } } } } }"""
AGING = """query($asOf: Date!, $by: AgingGroupBy!) { aging(asOf: $asOf, groupBy: $by) {
  asOf csv rows { key label buckets { currency current days1To30 days31To60 days61To90 over90
  total openCharges } } totals { currency current days1To30 over90 total } } }"""
STATEMENT = """query($cp: ID!) { statementOfAccount(counterpartyId: $cp, from: "2026-01-01",
  to: "2026-03-31") { openingBalance closingBalance totalCharged totalPaid csv
  lines { date kind charged paid balance } } }"""


async def setup(client, account) -> tuple[dict[str, str], str]:
    body = await gql(client, TEMPLATE, token=account.token)
    codes = {a["code"]: a["id"] for a in body["data"]["applyAccountTemplate"]["accounts"]}
    created = await gql(
        client,
        CREATE_COUNTERPARTY,
        {"input": {"kind": "TENANT", "name": "Tina Tenant", "currency": "USD"}},
        token=account.token,
    )
    return codes, created["data"]["createCounterparty"]["counterparty"]["id"]


async def add_charge(client, account, cp, amount, due, key=None, **extra):
    variables = {
        "input": {
            "counterpartyId": cp,
            "kind": "RENT",
            "amount": amount,
            "dueOn": due,
            "idempotencyKey": key or uuid.uuid4().hex,
            **extra,
        }
    }
    return (await gql(client, CREATE_CHARGE, variables, token=account.token))["data"][
        "createCharge"
    ]


async def add_payment(client, account, cp, amount, day, bank, key=None, **extra):
    variables = {
        "input": {
            "counterpartyId": cp,
            "amount": amount,
            "date": day,
            "accountId": bank,
            "method": "BANK_TRANSFER",
            "idempotencyKey": key or uuid.uuid4().hex,
            **extra,
        }
    }
    return (await gql(client, RECORD_PAYMENT, variables, token=account.token))["data"][
        "recordPayment"
    ]


async def test_charges_payments_allocations_and_voids_through_graphql(client):
    a = await sign_up(client, "a@example.com", org="Org A")
    codes, cp = await setup(client, a)
    jan = await add_charge(client, a, cp, "1000", "2026-01-01", key="jan")
    assert jan["__typename"] == "ChargeSuccess" and jan["charge"]["status"] == "OPEN"
    replay = await add_charge(client, a, cp, "1000", "2026-01-01", key="jan")
    assert replay["replayed"] is True and replay["charge"]["id"] == jan["charge"]["id"]
    feb = await add_charge(client, a, cp, "1000", "2026-02-01")
    paid = await add_payment(client, a, cp, "1500", "2026-02-03", codes["1000"], reference="chk 1")
    assert [x["amount"] for x in paid["allocations"]] == ["1000.0000", "500.0000"]
    assert paid["payment"]["unallocatedAmount"] == "0.0000"
    explicit = await add_payment(
        client,
        a,
        cp,
        "700",
        "2026-02-10",
        codes["1000"],
        allocate="EXPLICIT",
        allocations=[{"chargeId": feb["charge"]["id"], "amount": "600"}],
    )
    assert (explicit["code"], explicit["field"]) == (
        "OVER_ALLOCATED",
        "input.allocations[0].amount",
    )
    none = await add_payment(
        client, a, cp, "700", "2026-02-10", codes["1000"], allocate="NONE", reference="chk 2"
    )
    assert none["allocations"] == [] and none["payment"]["unallocatedAmount"] == "700.0000"
    allocated = await gql(
        client,
        ALLOCATE,
        {"input": {"paymentId": none["payment"]["id"], "idempotencyKey": "a1"}},
        token=a.token,
    )
    assert allocated["data"]["allocatePayment"]["allocations"] == [{"amount": "500.0000"}]
    listed = await gql(client, CHARGES, {"cp": cp}, token=a.token)
    assert "errors" not in listed, listed
    nodes = [e["node"] for e in listed["data"]["charges"]["edges"]]
    assert [(n["status"], n["openAmount"]) for n in nodes] == [
        ("PAID", "0.0000"),
        ("PAID", "0.0000"),
    ]
    assert nodes[0]["counterparty"] == {
        "name": "Tina Tenant",
        "balance": "0.0000",
        "credit": "200.0000",
    }
    voided = await gql(
        client,
        VOID_CHARGE,
        {"input": {"chargeId": feb["charge"]["id"], "date": "2026-02-20", "idempotencyKey": "v"}},
        token=a.token,
    )
    assert voided["data"]["voidCharge"]["charge"] == {"status": "VOID", "voidedOn": "2026-02-20"}
    again = await gql(
        client,
        VOID_CHARGE,
        {"input": {"chargeId": feb["charge"]["id"], "idempotencyKey": "v2"}},
        token=a.token,
    )
    assert again["data"]["voidCharge"]["code"] == "ALREADY_VOIDED"
    counterparties = await gql(client, COUNTERPARTIES, token=a.token)
    assert counterparties["data"]["counterparties"]["edges"] == [
        {
            "node": {
                "name": "Tina Tenant",
                "balance": "0.0000",
                "credit": "1200.0000",
                "controlAccount": {"code": "AR-USD"},
            }
        }
    ]
    voided_payment = await gql(
        client,
        VOID_PAYMENT,
        {"input": {"paymentId": paid["payment"]["id"], "idempotencyKey": "vp"}},
        token=a.token,
    )
    assert voided_payment["data"]["voidPayment"]["payment"] == {"status": "VOID"}
    # Voids free allocations into credit; nothing re-applies it until asked.
    open_now = await gql(client, CHARGES, {"cp": cp, "status": "OPEN"}, token=a.token)
    assert [
        (e["node"]["openAmount"], e["node"]["counterparty"]["credit"])
        for e in open_now["data"]["charges"]["edges"]
    ] == [("1000.0000", "700.0000")]


async def test_typed_errors_name_the_input_field(client):
    a = await sign_up(client, "a@example.com", org="Org A")
    codes, cp = await setup(client, a)
    bad = await add_charge(client, a, cp, "-1", "2026-01-01")
    assert (bad["code"], bad["field"]) == ("INVALID", "input.amount")
    unknown = await add_charge(client, a, "nonsense", "1", "2026-01-01")
    assert (unknown["__typename"], unknown["field"]) == ("NotFoundError", "input.counterpartyId")
    invoice = await add_charge(client, a, cp, "1", "2026-01-01", kind="INVOICE")
    assert (invoice["code"], invoice["field"]) == ("REQUIRED", "input.accountId")
    early = await add_charge(client, a, cp, "1", "2026-01-01", issuedOn="2026-01-05")
    assert (early["code"], early["field"]) == ("INVALID", "input.dueOn")
    mode = await add_payment(client, a, cp, "1", "2026-01-01", codes["1000"], allocate="EXPLICIT")
    assert (mode["code"], mode["field"]) == ("REQUIRED", "input.allocations")
    nothing = await gql(client, CHARGES, {"cp": cp}, token=a.token)
    assert nothing["data"]["charges"]["edges"] == []


async def test_aging_and_statement_of_account_with_csv(client):
    a = await sign_up(client, "a@example.com", org="Org A")
    codes, cp = await setup(client, a)
    await add_charge(client, a, cp, "1000", "2026-01-01")
    await add_charge(client, a, cp, "1000", "2026-02-01")
    await add_charge(client, a, cp, "1000", "2026-03-01")
    await add_payment(client, a, cp, "1200", "2026-02-15", codes["1000"])
    body = await gql(client, AGING, {"asOf": "2026-03-10", "by": "COUNTERPARTY"}, token=a.token)
    aging = body["data"]["aging"]
    assert aging["rows"] == [
        {
            "key": cp,
            "label": "Tina Tenant",
            "buckets": {
                "currency": "USD",
                "current": "0.0000",
                "days1To30": "1000.0000",
                "days31To60": "800.0000",
                "days61To90": "0.0000",
                "over90": "0.0000",
                "total": "1800.0000",
                "openCharges": 2,
            },
        }
    ]
    assert aging["csv"].splitlines()[0] == (
        "group,key,currency,current,1-30,31-60,61-90,over 90,total"
    )
    assert (
        aging["csv"].splitlines()[-1]
        == "Total,,USD,0.0000,1000.0000,800.0000,0.0000,0.0000,1800.0000"
    )
    total = await gql(client, AGING, {"asOf": "2026-01-15", "by": "TOTAL"}, token=a.token)
    assert total["data"]["aging"]["totals"] == [
        {
            "currency": "USD",
            "current": "0.0000",
            "days1To30": "1000.0000",
            "over90": "0.0000",
            "total": "1000.0000",
        }
    ]
    statement = (await gql(client, STATEMENT, {"cp": cp}, token=a.token))["data"][
        "statementOfAccount"
    ]
    assert statement["openingBalance"] == "0.0000"
    assert [(x["kind"], x["balance"]) for x in statement["lines"]] == [
        ("CHARGE", "1000.0000"),
        ("CHARGE", "2000.0000"),
        ("PAYMENT", "800.0000"),
        ("CHARGE", "1800.0000"),
    ]
    assert statement["closingBalance"] == "1800.0000"
    assert statement["csv"].splitlines()[1].startswith("2026-01-01,opening,Opening balance")


async def test_entries_of_receivables_appear_on_ledger_activity(live, http):
    a = await sign_up(http, "a@example.com", org="Org A")
    codes, cp = await setup(http, a)
    watching = await subscribe(live, a.token, "subscription { ledgerActivity { id memo } }")
    await asyncio.sleep(0.2)
    await add_charge(http, a, cp, "100", "2026-01-01")
    await add_payment(http, a, cp, "100", "2026-01-02", codes["1000"])
    memos = [(await next_payload(watching))["data"]["ledgerActivity"]["memo"] for _ in range(3)]
    await watching.close()
    assert memos[0].startswith("Charge (rent)")
    assert sorted(memos[1:]) == ["Payment (bank_transfer)", "Payment allocated to a charge"]


async def test_connections_cost_a_constant_number_of_statements(client):
    a = await sign_up(client, "a@example.com", org="Org A")
    codes, cp = await setup(client, a)
    await add_charge(client, a, cp, "100", "2026-01-01")
    await add_payment(client, a, cp, "100", "2026-01-02", codes["1000"], reference="r")
    few = [await statements_for(client, query, a.token) for query in (COUNTERPARTIES, PAYMENTS)]
    few_charges = await statements_for(client, ALL_CHARGES, a.token)
    for n in range(6):
        other = await gql(
            client,
            CREATE_COUNTERPARTY,
            {"input": {"kind": "CUSTOMER", "name": f"C{n}", "currency": "USD"}},
            token=a.token,
        )
        other_id = other["data"]["createCounterparty"]["counterparty"]["id"]
        await add_charge(client, a, other_id, "50", "2026-01-01")
        await add_payment(client, a, other_id, "30", "2026-01-03", codes["1000"], reference="r")
    many = [await statements_for(client, query, a.token) for query in (COUNTERPARTIES, PAYMENTS)]
    many_charges = await statements_for(client, ALL_CHARGES, a.token)
    assert few == many and few_charges == many_charges
    # begin, access check, the page, then one statement per loader: counterparties:
    # controlAccount (accounts) and positions; payments: counterparties, allocations,
    # their charges; charges: counterparties, positions, allocations, their payments.
    assert many == [5, 6]
    assert many_charges == 7
