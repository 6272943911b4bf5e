"""Statements over GraphQL against real books: figures, comparisons, dimension filter,
foreign currencies, permissions, tenant isolation and statement counts.

Books are written straight into the tables as the owner (entries, lines and the derived
summary in one transaction), so these tests do not depend on the posting service."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from fiscus.schema.relay import from_global_id
from tests.api.test_query_counts import statements_for
from tests.graphql_client import gql, sign_up

CHART = [
    # code, name, type, parent code, tags
    ("1000", "Assets", "asset", None, {}),
    ("1100", "Bank", "asset", "1000", {"cash": "true"}),
    ("1500", "Car", "asset", "1000", {"cashflow": "investing"}),
    ("2100", "Car loan", "liability", None, {"cashflow": "financing"}),
    ("3000", "Opening balances", "equity", None, {}),
    ("4000", "Salary", "income", None, {}),
    ("5000", "Expenses", "expense", None, {}),
    ("5100", "Groceries", "expense", "5000", {}),
    ("5200", "Rent", "expense", "5000", {}),
]

# day, [(code, amount, currency, rate, dimensions)]
ENTRIES: list[tuple[str, list[tuple[str, str]]]] = [
    ("2023-12-31", [("1100", "1000"), ("3000", "-1000")]),
    ("2024-01-05", [("1100", "3000"), ("4000", "-3000")]),
    ("2024-01-10", [("5100", "200"), ("1100", "-200")]),
    ("2024-01-20", [("1500", "5000"), ("1100", "-1000"), ("2100", "-4000")]),
    ("2024-02-05", [("1100", "3100"), ("4000", "-3100")]),
    ("2024-02-10", [("5200", "900"), ("1100", "-900")]),
    ("2024-02-12", [("5100", "250"), ("1100", "-250")]),
]


SUMMARIES = (
    ("ledger_account_days", "day", "entry_date"),
    ("ledger_account_months", "month", "date_trunc('month', entry_date)::date"),
)


async def seed_books(
    database_url: str,
    org_id: str,
    chart: list[tuple[str, str, str, str | None, dict[str, str]]] = CHART,
    entries: list[tuple[str, list[Any]]] = ENTRIES,
    *,
    currency: str = "USD",
) -> dict[str, uuid.UUID]:
    """The chart and posted entries, as the owner; lines are (code, amount) or (code,
    amount, currency, rate, dimensions). Returns account ids by code."""
    ids = {code: uuid.uuid4() for code, *_ in chart}
    org_id = org_uuid(org_id)
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction():
            for code, name, kind, parent, tags in chart:
                await connection.execute(
                    "INSERT INTO ledger_accounts (id, org_id, code, name, type, currency,"
                    " parent_id, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)",
                    ids[code],
                    uuid.UUID(org_id),
                    code,
                    name,
                    kind,
                    currency,
                    ids[parent] if parent else None,
                    json.dumps(tags),
                )
            for day, lines in entries:
                entry = uuid.uuid4()
                await connection.execute(
                    "INSERT INTO journal_entries (id, org_id, entry_date, status, posted_at)"
                    " VALUES ($1, $2, $3, 'posted', $4)",
                    entry,
                    uuid.UUID(org_id),
                    date.fromisoformat(day),
                    datetime.now(UTC),
                )
                rows = []
                for n, line in enumerate(lines, start=1):
                    code, amount, *rest = line
                    line_currency = rest[0] if rest else currency
                    rate = Decimal(rest[1]) if len(rest) > 1 and rest[1] else None
                    dims = rest[2] if len(rest) > 2 else {}
                    rows.append(
                        (
                            entry,
                            n,
                            ids[code],
                            uuid.UUID(org_id),
                            date.fromisoformat(day),
                            Decimal(amount),
                            line_currency,
                            rate,
                            json.dumps(dims),
                        )
                    )
                columns = list(zip(*rows, strict=True))
                await connection.execute(
                    "INSERT INTO journal_lines (entry_id, line_no, account_id, org_id,"
                    " entry_date, amount, currency, rate, dimensions)"
                    " SELECT e, n, a, o, d, m, c, r, x::jsonb FROM unnest($1::uuid[],"
                    " $2::int[], $3::uuid[], $4::uuid[], $5::date[], $6::numeric[],"
                    " $7::text[], $8::numeric[], $9::text[]) AS t(e, n, a, o, d, m, c, r, x)",
                    *[list(c) for c in columns],
                )
            # Lines written directly: the summaries are rebuilt as the posting writes them.
            for table, period, value in SUMMARIES:
                await connection.execute(
                    f"DELETE FROM {table} WHERE org_id = $1", uuid.UUID(org_id)
                )
                await connection.execute(
                    f"INSERT INTO {table} (org_id, account_id, currency, {period}, amount_sum,"
                    f" line_count) SELECT org_id, account_id, currency, {value}, sum(amount),"
                    " count(*) FROM journal_lines WHERE org_id = $1 GROUP BY 1, 2, 3, 4",
                    uuid.UUID(org_id),
                )
    finally:
        await connection.close()
    return ids


def org_uuid(org_id: str) -> str:
    """A raw UUID, or the organization's global id."""
    try:
        return str(uuid.UUID(org_id))
    except ValueError:
        return from_global_id(org_id)[1]


LINES = "lines { key label kind depth code accountId amounts compared deltas debits credits }"
COLUMNS = "columns { start end label } comparedColumns { start end label }"


def statement_query(field: str, args: str = "") -> str:
    return (
        f'query {{ {field}(from: "2024-01-01", to: "2024-02-29"{args}) '
        f"{{ kind currency {COLUMNS} {LINES} }} }}"
    )


def line(statement: dict[str, Any], key: str) -> dict[str, Any]:
    for found in statement["lines"]:
        if found["key"] == key:
            return found
    raise KeyError(key)


def by_code(statement: dict[str, Any], code: str) -> dict[str, Any]:
    for found in statement["lines"]:
        if found["code"] == code:
            return found
    raise KeyError(code)


async def test_statements_show_the_books(client, database_url):
    owner = await sign_up(client, "owner@example.com")
    await seed_books(database_url, owner.org_id)

    body = await gql(client, statement_query("incomeStatement"), token=owner.token)
    pnl = body["data"]["incomeStatement"]
    assert [c["label"] for c in pnl["columns"]] == ["2024-01", "2024-02"]
    assert line(pnl, "total_income")["amounts"] == ["3000.0000", "3100.0000"]
    # Expenses roll up: the parent carries groceries + rent.
    assert by_code(pnl, "5000")["kind"] == "PARENT"
    assert by_code(pnl, "5000")["amounts"] == ["200.0000", "1150.0000"]
    assert line(pnl, "net_income")["amounts"] == ["2800.0000", "1950.0000"]

    body = await gql(client, statement_query("balanceSheet"), token=owner.token)
    sheet = body["data"]["balanceSheet"]
    assert by_code(sheet, "1100")["amounts"] == ["2800.0000", "4750.0000"]
    assert line(sheet, "total_asset")["amounts"] == ["7800.0000", "9750.0000"]
    assert line(sheet, "earnings")["amounts"] == ["2800.0000", "4750.0000"]
    assert (
        line(sheet, "total_liabilities_and_equity")["amounts"]
        == line(sheet, "total_asset")["amounts"]
    )

    body = await gql(client, statement_query("trialBalance"), token=owner.token)
    tb = body["data"]["trialBalance"]
    assert line(tb, "total_debits")["amounts"] == line(tb, "total_credits")["amounts"]
    assert by_code(tb, "2100")["credits"] == ["4000.0000", "4000.0000"]

    for method in ("DIRECT", "INDIRECT"):
        body = await gql(
            client, statement_query("cashFlowStatement", f", method: {method}"), token=owner.token
        )
        flow = body["data"]["cashFlowStatement"]
        assert line(flow, "net_change_in_cash")["amounts"] == ["1800.0000", "1950.0000"], method
        assert line(flow, "total_investing")["amounts"] == ["-5000.0000", "0.0000"], method
        assert line(flow, "total_financing")["amounts"] == ["4000.0000", "0.0000"], method
        assert line(flow, "cash_at_start")["amounts"] == ["1000.0000", "2800.0000"], method


async def test_comparison_with_the_previous_period_and_last_year(client, database_url):
    owner = await sign_up(client, "owner@example.com")
    await seed_books(database_url, owner.org_id)
    query = (
        'query { incomeStatement(from: "2024-02-01", to: "2024-02-29", '
        f"compareWith: PREVIOUS_PERIOD) {{ {COLUMNS} {LINES} }} }}"
    )
    pnl = (await gql(client, query, token=owner.token))["data"]["incomeStatement"]
    assert pnl["comparedColumns"] == [
        {"start": "2024-01-01", "end": "2024-01-31", "label": "2024-01"}
    ]
    net = line(pnl, "net_income")
    assert net["compared"] == ["2800.0000"]
    assert net["deltas"] == ["-850.0000"]
    query = query.replace("PREVIOUS_PERIOD", "SAME_PERIOD_LAST_YEAR")
    pnl = (await gql(client, query, token=owner.token))["data"]["incomeStatement"]
    assert pnl["comparedColumns"][0]["start"] == "2023-02-01"
    assert line(pnl, "net_income")["compared"] == ["0.0000"]


async def test_dimension_filter_and_foreign_lines(client, database_url):
    owner = await sign_up(client, "owner@example.com")
    entries: list[tuple[str, list[Any]]] = [
        (
            "2024-01-05",
            [
                ("1100", "100", "USD", None, {"property": "elm"}),
                ("4000", "-100", "USD", None, {"property": "elm"}),
            ],
        ),
        (
            "2024-01-06",
            [
                ("1100", "70", "USD", None, {"property": "oak"}),
                ("4000", "-70", "USD", None, {"property": "oak"}),
            ],
        ),
        # A EUR income line booked at 1.1 USD per EUR (the entry's first currency is USD).
        (
            "2024-01-07",
            [
                ("1100", "55", "USD", None, {}),
                ("1500", "-55", "USD", None, {}),
                ("1500", "50", "EUR", "1.1", {}),
                ("4000", "-50", "EUR", "1.1", {}),
            ],
        ),
        # Only the rent line carries the dimension: the bank side lies outside it.
        (
            "2024-01-08",
            [("5200", "30", "USD", None, {"property": "elm"}), ("1100", "-30", "USD", None, {})],
        ),
    ]
    await seed_books(database_url, owner.org_id, entries=entries)
    query = (
        'query { incomeStatement(from: "2024-01-01", to: "2024-01-31"'
        ', dimension: {key: "property", value: "elm"}) { ' + LINES + " } }"
    )
    pnl = (await gql(client, query, token=owner.token))["data"]["incomeStatement"]
    assert line(pnl, "net_income")["amounts"] == ["70.0000"]
    sheet = (
        await gql(client, query.replace("incomeStatement", "balanceSheet"), token=owner.token)
    )["data"]["balanceSheet"]
    assert (
        line(sheet, "total_asset")["amounts"]
        == line(sheet, "total_liabilities_and_equity")["amounts"]
    )
    flow = await gql(
        client,
        query.replace("incomeStatement", "cashFlowStatement(method: DIRECT,").replace(
            "DIRECT,(", "DIRECT, "
        ),
        token=owner.token,
    )
    assert "errors" not in flow, flow

    unfiltered = 'query { incomeStatement(from: "2024-01-01", to: "2024-01-31") { ' + LINES + " } }"
    pnl = (await gql(client, unfiltered, token=owner.token))["data"]["incomeStatement"]
    assert line(pnl, "total_income")["amounts"] == ["225.0000"]  # 100 + 70 + 50 * 1.1

    eur = unfiltered.replace('"2024-01-31"', '"2024-01-31", currency: "EUR"')
    refused = await gql(client, eur, token=owner.token)
    assert refused["errors"][0]["extensions"]["argument"] == "currency"


async def test_viewers_read_statements_and_other_organizations_stay_invisible(client, database_url):
    owner = await sign_up(client, "owner@example.com")
    other = await sign_up(client, "other@example.com", org="Other")
    await seed_books(database_url, owner.org_id)
    await seed_books(
        database_url, other.org_id, entries=[("2024-01-03", [("1100", "999"), ("4000", "-999")])]
    )
    mine = (await gql(client, statement_query("incomeStatement"), token=owner.token))["data"]
    theirs = (await gql(client, statement_query("incomeStatement"), token=other.token))["data"]
    assert line(mine["incomeStatement"], "total_income")["amounts"] == ["3000.0000", "3100.0000"]
    assert line(theirs["incomeStatement"], "total_income")["amounts"] == ["999.0000", "0.0000"]
    owner_accounts = {by_code(mine["incomeStatement"], "4000")["accountId"]}
    other_accounts = {x["accountId"] for x in theirs["incomeStatement"]["lines"]}
    assert not owner_accounts & other_accounts


async def test_a_statement_costs_a_constant_number_of_statements(client, database_url):
    owner = await sign_up(client, "owner@example.com")
    await seed_books(database_url, owner.org_id)
    few = await statements_for(client, statement_query("balanceSheet"), owner.token)
    many_chart = [(f"6{n:03d}", f"Expense {n}", "expense", None, {}) for n in range(60)]
    other = await sign_up(client, "big@example.com", org="Big")
    await seed_books(
        database_url,
        other.org_id,
        chart=[*CHART, *many_chart],
        entries=[
            *ENTRIES,
            *[("2024-01-15", [(code, "1"), ("1100", "-1")]) for code, *_ in many_chart],
        ],
    )
    many = await statements_for(client, statement_query("balanceSheet"), other.token)
    assert few == many
    # begin (with the tenant context), access check, the chart, the sums.
    assert many == 4
    compared = await statements_for(
        client, statement_query("balanceSheet", ", compareWith: PREVIOUS_PERIOD"), other.token
    )
    assert compared == 5


async def test_statement_account_ids_are_the_books_account_ids(client, database_url):
    owner = await sign_up(client, "owner@example.com")
    await seed_books(database_url, owner.org_id)
    body = await gql(client, statement_query("balanceSheet"), token=owner.token)
    bank = by_code(body["data"]["balanceSheet"], "1100")["accountId"]
    found = await gql(
        client,
        f'{{ account(id: "{bank}") {{ id code balance(asOf: "2024-02-29") }} }}',
        token=owner.token,
    )
    assert found["data"]["account"] == {"id": bank, "code": "1100", "balance": "4750.0000"}
