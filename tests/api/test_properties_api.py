"""Property management through GraphQL: buildings, units and leases (CRUD, overlap refused,
termination), the billing job's charges seen through the API, occupancy from leases, a
building's cash flow from the ledger (rent collected, an expense), CSV, pinned statement
counts for buildings -> units -> leases."""

from __future__ import annotations

import uuid
from datetime import date

from fiscus.services.properties import billing
from tests.api.test_query_counts import statements_for
from tests.api.test_receivables_api import CREATE_COUNTERPARTY, add_payment, setup
from tests.api.test_tenant_isolation import raw_uuid
from tests.graphql_client import gql, sign_up

CREATE_BUILDING = """mutation($input: CreateBuildingInput!) { createBuilding(input: $input) {
  __typename ... on BuildingSuccess { building { id name } }
  ... on UserError { code field message } } }"""
CREATE_UNIT = """mutation($input: CreateUnitInput!) { createUnit(input: $input) {
  __typename ... on UnitSuccess { unit { id number } }
  ... on UserError { code field message } } }"""
CREATE_LEASE = """mutation($input: CreateLeaseInput!) { createLease(input: $input) {
  __typename ... on LeaseSuccess { lease { id startsOn lastDay parties { share
    counterparty { name } } } charges { kind amount } }
  ... on ValidationError { code field problems { field code } }
  ... on UserError { code field message } } }"""
TERMINATE = """mutation($input: TerminateLeaseInput!) { terminateLease(input: $input) {
  __typename ... on LeaseSuccess { lease { terminatedOn status(on: "2026-06-01") }
    voided { amount } charges { amount } }
  ... on UserError { code field message } } }"""
EXPENSE = """mutation($input: RecordPropertyExpenseInput!) { recordPropertyExpense(input: $input)
  { __typename ... on PropertyExpenseSuccess { amount replayed }
    ... on UserError { code field message } } }"""
DELETE = """mutation($id: ID!) { deleteBuilding(input: {buildingId: $id}) { __typename
  ... on UserError { code } } }"""
TREE = """{ buildings(first: 10) { edges { node { name units(first: 10) { number
  occupied(on: "2026-03-01") leases(first: 3) { monthlyRent status(on: "2026-03-01")
  parties(first: 2) { counterparty { name } } documents(first: 2) { name } } } } } } }"""
OCCUPANCY = """query($b: ID) { occupancy(from: "2026-01-01", to: "2026-03-31", buildingId: $b) {
  csv rows { building { name } from to units unitDays occupiedDays occupancyRate
  vacancyRate } } }"""
CASH_FLOW = """query($b: ID!) { propertyCashFlow(buildingId: $b, from: "2026-01-01",
  to: "2026-03-31") { currency csv columns { label rentBilled collected expenses net }
  total { collected expenses net } } }"""


async def portfolio(client, account, units=("1A", "1B")):
    codes, tenant = await setup(client, account)
    built = await gql(
        client,
        CREATE_BUILDING,
        {"input": {"name": "Elm Court", "currency": "USD", "address": "1 Elm St"}},
        token=account.token,
    )
    building = built["data"]["createBuilding"]["building"]["id"]
    made = []
    for number in units:
        unit = await gql(
            client,
            CREATE_UNIT,
            {"input": {"buildingId": building, "number": number, "marketRent": "1500"}},
            token=account.token,
        )
        made.append(unit["data"]["createUnit"]["unit"]["id"])
    return codes, tenant, building, made


def lease_input(unit, tenant, starts="2026-01-01", **extra):
    return {
        "input": {
            "unitId": unit,
            "startsOn": starts,
            "monthlyRent": "1500",
            "dueDay": 1,
            "graceDays": 5,
            "deposit": "1500",
            "parties": [{"counterpartyId": tenant, "share": "1"}],
            "idempotencyKey": uuid.uuid4().hex,
            **extra,
        }
    }


async def test_buildings_units_leases_and_the_billing_job_through_graphql(client, app):
    a = await sign_up(client, "a@example.com", org="Org A")
    _, tenant, building, (unit_a, unit_b) = await portfolio(client, a)
    made = await gql(client, CREATE_LEASE, lease_input(unit_a, tenant), token=a.token)
    result = made["data"]["createLease"]
    assert result["charges"] == [{"kind": "DEPOSIT", "amount": "1500.0000"}]
    assert result["lease"]["parties"] == [
        {"share": "1.0000", "counterparty": {"name": "Tina Tenant"}}
    ]
    overlap = await gql(
        client, CREATE_LEASE, lease_input(unit_a, tenant, starts="2026-06-01"), token=a.token
    )
    assert (overlap["data"]["createLease"]["code"], overlap["data"]["createLease"]["field"]) == (
        "LEASE_OVERLAP",
        "input.startsOn",
    )
    bad = await gql(
        client,
        CREATE_LEASE,
        lease_input(
            unit_b, tenant, dueDay=31, parties=[{"counterpartyId": tenant, "share": "0.5"}]
        ),
        token=a.token,
    )
    problems = {(p["field"], p["code"]) for p in bad["data"]["createLease"]["problems"]}
    assert problems == {("input.parties", "INVALID")}
    bad_day = await gql(client, CREATE_LEASE, lease_input(unit_b, tenant, dueDay=31), token=a.token)
    assert bad_day["data"]["createLease"]["field"] == "input.dueDay"

    runtime = app.state.runtime
    report = await billing.bill_organization(runtime.ledger, raw_uuid(a.org_id), date(2026, 3, 1))
    assert (report.rent_charges, report.late_fees) == (3, 0)
    tree = (await gql(client, TREE, token=a.token))["data"]["buildings"]["edges"]
    assert tree[0]["node"]["units"] == [
        {
            "number": "1A",
            "occupied": True,
            "leases": [
                {
                    "monthlyRent": "1500.0000",
                    "status": "ACTIVE",
                    "parties": [{"counterparty": {"name": "Tina Tenant"}}],
                    "documents": [],
                }
            ],
        },
        {"number": "1B", "occupied": False, "leases": []},
    ]
    lease_id = result["lease"]["id"]
    ended = await gql(
        client,
        TERMINATE,
        {"input": {"leaseId": lease_id, "date": "2026-02-14", "idempotencyKey": "t"}},
        token=a.token,
    )
    terminated = ended["data"]["terminateLease"]
    assert terminated["lease"] == {"terminatedOn": "2026-02-14", "status": "TERMINATED"}
    # February re-billed for 14 of 28 days; March voided.
    assert terminated["charges"] == [{"amount": "750.0000"}]
    assert sorted(v["amount"] for v in terminated["voided"]) == ["1500.0000", "1500.0000"]
    refused = await gql(client, DELETE, {"id": building}, token=a.token)
    assert refused["data"]["deleteBuilding"] == {
        "__typename": "RuleViolationError",
        "code": "IN_USE",
    }


async def test_occupancy_and_cash_flow_with_csv(client, app):
    a = await sign_up(client, "a@example.com", org="Org A")
    codes, tenant, building, (unit_a, _) = await portfolio(client, a)
    await gql(
        client,
        CREATE_LEASE,
        lease_input(unit_a, tenant, starts="2026-01-16", deposit="0"),
        token=a.token,
    )
    vendor = await gql(
        client,
        CREATE_COUNTERPARTY,
        {"input": {"kind": "VENDOR", "name": "Fix-It", "currency": "USD"}},
        token=a.token,
    )
    vendor_id = vendor["data"]["createCounterparty"]["counterparty"]["id"]
    runtime = app.state.runtime
    await billing.bill_organization(runtime.ledger, raw_uuid(a.org_id), date(2026, 2, 1))
    await add_payment(client, a, tenant, "2274.19", "2026-02-02", codes["1000"])
    expense = {
        "vendorId": vendor_id,
        "buildingId": building,
        "unitId": unit_a,
        "amount": "300",
        "date": "2026-02-20",
        "category": codes["5000"],
        "paymentAccount": codes["1000"],
        "description": "Boiler repair",
        "idempotencyKey": "e1",
    }
    first = await gql(client, EXPENSE, {"input": expense}, token=a.token)
    assert first["data"]["recordPropertyExpense"] == {
        "__typename": "PropertyExpenseSuccess",
        "amount": "300.0000",
        "replayed": False,
    }
    again = await gql(client, EXPENSE, {"input": expense}, token=a.token)
    assert again["data"]["recordPropertyExpense"]["replayed"] is True
    wrong = await gql(
        client,
        EXPENSE,
        {"input": {**expense, "idempotencyKey": "e2", "category": codes["1000"]}},
        token=a.token,
    )
    assert wrong["data"]["recordPropertyExpense"]["field"] == "input.category"
    not_vendor = await gql(
        client,
        EXPENSE,
        {"input": {**expense, "idempotencyKey": "e3", "vendorId": tenant}},
        token=a.token,
    )
    assert not_vendor["data"]["recordPropertyExpense"]["field"] == "input.vendorId"

    occupancy = (await gql(client, OCCUPANCY, {"b": building}, token=a.token))["data"]["occupancy"]
    # Two units; 1A let from Jan 16: January 16 of 62 unit-days, then 28 of 56 and 31 of 62.
    assert [
        (r["from"], r["unitDays"], r["occupiedDays"], r["occupancyRate"], r["vacancyRate"])
        for r in occupancy["rows"]
    ] == [
        ("2026-01-01", 62, 16, "0.2581", "0.7419"),
        ("2026-02-01", 56, 28, "0.5000", "0.5000"),
        ("2026-03-01", 62, 31, "0.5000", "0.5000"),
    ]
    assert occupancy["csv"].splitlines()[1].startswith("Elm Court,2026-01-01,2026-01-31,2,62,16")

    flow = (await gql(client, CASH_FLOW, {"b": building}, token=a.token))["data"][
        "propertyCashFlow"
    ]
    # January: 1,500 x 16/31 = 774.19; February 1,500; both paid on Feb 2 (2,274.19).
    assert flow["columns"] == [
        {
            "label": "2026-01",
            "rentBilled": "774.1900",
            "collected": "0.0000",
            "expenses": "0.0000",
            "net": "0.0000",
        },
        {
            "label": "2026-02",
            "rentBilled": "1500.0000",
            "collected": "2274.1900",
            "expenses": "300.0000",
            "net": "1974.1900",
        },
        {
            "label": "2026-03",
            "rentBilled": "0.0000",
            "collected": "0.0000",
            "expenses": "0.0000",
            "net": "0.0000",
        },
    ]
    assert flow["total"] == {"collected": "2274.1900", "expenses": "300.0000", "net": "1974.1900"}
    assert flow["csv"].splitlines()[-1] == (
        "Total,2026-01-01,2026-03-31,2274.1900,2274.1900,300.0000,1974.1900"
    )


async def test_the_property_tree_costs_a_constant_number_of_statements(client):
    a = await sign_up(client, "a@example.com", org="Org A")
    _, tenant, _, units = await portfolio(client, a, units=("1",))
    await gql(client, CREATE_LEASE, lease_input(units[0], tenant, deposit="0"), token=a.token)
    few = await statements_for(client, TREE, a.token)
    for n in range(4):
        built = await gql(
            client,
            CREATE_BUILDING,
            {"input": {"name": f"B{n}", "currency": "USD"}},
            token=a.token,
        )
        other = built["data"]["createBuilding"]["building"]["id"]
        for number in ("1", "2"):
            unit = await gql(
                client,
                CREATE_UNIT,
                {"input": {"buildingId": other, "number": number}},
                token=a.token,
            )
            unit_id = unit["data"]["createUnit"]["unit"]["id"]
            await gql(
                client, CREATE_LEASE, lease_input(unit_id, tenant, deposit="0"), token=a.token
            )
    many = await statements_for(client, TREE, a.token)
    # begin, access check, buildings page, units, leases, their documents, counterparties.
    assert few == many == 7
