"""Risk and benchmark fields over the real app: a portfolio, one holding, the organization;
typed errors naming the argument."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.api.analytics_fixtures import seed_instrument, wave, weekdays
from tests.api.portfolio_operations import create, record
from tests.graphql_client import gql, sign_up

DAYS = weekdays(date(2023, 12, 1), date(2024, 12, 31))
RISK = """query($id: ID!, $holding: String) { portfolio(id: $id) {
  risk(from: "2024-01-02", to: "2024-12-31", riskFreeRate: "0.02", holding: $holding) {
    from to currency tradingDaysPerYear observations cumulativeReturn riskFreeRate
    volatility downsideDeviation sharpe sortino currentDrawdown
    maxDrawdown { depth peak trough recovery recovered days }
    longestDrawdown { days }
    bestDay { date value } worstMonth { date value }
    series(interval: MONTH) { date index periodReturn drawdown }
    concentration { holdings herfindahl effectiveHoldings top { symbol weight }
      byKind { key weight } byCurrency { key weight } }
  } } }"""
BENCHMARK = """query($id: ID!, $symbol: String!) { portfolio(id: $id) {
  benchmark(symbol: $symbol, from: "2024-01-02", to: "2024-12-31") {
    instrument { symbol } currency from to portfolioReturn benchmarkReturn excessReturn
    beta correlation trackingError informationRatio
    series(interval: WEEK) { date portfolio benchmark excess }
    whatIf { endValue actualEndValue difference netFlows twr
      series(interval: MONTH) { date value } }
  } } }"""
SUMMARY = """{ organizationPortfolioSummary {
  currency risk(period: MAX) { observations volatility maxDrawdown { depth } }
  benchmark(symbol: "IDX", period: MAX) { beta } } }"""


async def test_risk_of_a_portfolio_its_holding_and_the_organization(client, database_url):
    await seed_instrument(database_url, "AAA", DAYS, wave(100, 0.1, 20), kind="equity")
    await seed_instrument(database_url, "IDX", DAYS, wave(400, 0.05, 30, drift=0.0004))
    owner = await sign_up(client, "owner@example.com")
    pid = await create(client, owner.token)
    rows = [
        {"type": "DEPOSIT", "date": "2024-01-02", "amount": "12000"},
        {"type": "BUY", "date": "2024-01-02", "symbol": "AAA", "quantity": "50", "price": "100"},
        {"type": "BUY", "date": "2024-01-02", "symbol": "IDX", "quantity": "10", "price": "400"},
        {"type": "DEPOSIT", "date": "2024-06-01", "amount": "1000"},  # a Saturday
    ]
    done = await record(client, owner.token, pid, rows)
    assert done["__typename"] == "RecordPortfolioTransactionsSuccess", done

    body = await gql(client, RISK, {"id": pid}, token=owner.token)
    assert "errors" not in body, body
    risk = body["data"]["portfolio"]["risk"]
    assert (risk["from"], risk["to"], risk["currency"]) == ("2024-01-02", "2024-12-31", "USD")
    assert risk["tradingDaysPerYear"] == 252
    assert risk["observations"] == len([d for d in DAYS if date(2024, 1, 2) < d])
    assert Decimal(risk["riskFreeRate"]) == Decimal("0.02")
    assert Decimal(risk["volatility"]) > 0 and Decimal(risk["downsideDeviation"]) > 0
    drawdown = risk["maxDrawdown"]
    assert Decimal(drawdown["depth"]) < 0
    assert drawdown["peak"] < drawdown["trough"]
    assert drawdown["recovered"] == (drawdown["recovery"] is not None)
    assert risk["longestDrawdown"]["days"] >= drawdown["days"] or drawdown["days"] > 0
    months = risk["series"]
    assert months[0] == {
        "date": "2024-01-02",
        "index": "100.00000000",
        "periodReturn": "0E-10",
        "drawdown": "0E-10",
    }
    assert [m["date"][:7] for m in months[1:]] == [f"2024-{n:02}" for n in range(1, 13)]
    assert Decimal(months[-1]["index"]) == (1 + Decimal(risk["cumulativeReturn"])) * 100
    concentration = risk["concentration"]
    assert concentration["holdings"] == 2
    assert [t["symbol"] for t in concentration["top"]] == ["AAA", "IDX"] or [
        t["symbol"] for t in concentration["top"]
    ] == ["IDX", "AAA"]
    assert {e["key"] for e in concentration["byKind"]} == {"equity", "etf", "cash"}
    assert [e["key"] for e in concentration["byCurrency"]] == ["USD"]
    assert sum(Decimal(t["weight"]) for t in concentration["top"]) == 1

    holding = await gql(client, RISK, {"id": pid, "holding": "aaa"}, token=owner.token)
    assert "errors" not in holding, holding
    alone = holding["data"]["portfolio"]["risk"]
    assert alone["concentration"] is None
    assert alone["volatility"] != risk["volatility"]

    summary = await gql(client, SUMMARY, token=owner.token)
    assert "errors" not in summary, summary
    org = summary["data"]["organizationPortfolioSummary"]
    assert org["currency"] == "USD"
    assert org["risk"]["observations"] > 250
    assert org["benchmark"]["beta"] is not None


async def test_benchmark_beside_the_portfolio_and_what_if(client, database_url):
    await seed_instrument(database_url, "AAA", DAYS, wave(100, 0.1, 20), kind="equity")
    owner = await sign_up(client, "owner@example.com")
    pid = await create(client, owner.token)
    rows = [
        {"type": "DEPOSIT", "date": "2024-01-02", "amount": "5000"},
        {"type": "BUY", "date": "2024-01-02", "symbol": "AAA", "quantity": "50", "price": "100"},
    ]
    await record(client, owner.token, pid, rows)
    body = await gql(client, BENCHMARK, {"id": pid, "symbol": "AAA"}, token=owner.token)
    assert "errors" not in body, body
    found = body["data"]["portfolio"]["benchmark"]
    # Fully invested in the benchmark itself from the close of the start: the same returns.
    assert found["instrument"] == {"symbol": "AAA"}
    assert Decimal(found["beta"]) == 1 and Decimal(found["correlation"]) == 1
    assert Decimal(found["trackingError"]) == 0 and found["informationRatio"] is None
    assert Decimal(found["excessReturn"]) == 0
    weeks = found["series"]
    assert weeks[0]["portfolio"] == weeks[0]["benchmark"] == "100.00000000"
    assert all(w["portfolio"] == w["benchmark"] for w in weeks)
    what_if = found["whatIf"]
    assert Decimal(what_if["difference"]) == 0
    assert Decimal(what_if["twr"]) == Decimal(found["benchmarkReturn"])
    assert what_if["series"][0]["date"] == "2024-01-02"


async def test_bad_arguments_are_errors_naming_the_argument(client, database_url):
    await seed_instrument(database_url, "AAA", DAYS, wave(100, 0.1, 20), kind="equity")
    owner = await sign_up(client, "owner@example.com")
    pid = await create(client, owner.token)
    await record(
        client, owner.token, pid, [{"type": "DEPOSIT", "date": "2024-01-02", "amount": "10"}]
    )
    unknown = await gql(client, BENCHMARK, {"id": pid, "symbol": "NOPE"}, token=owner.token)
    (error,) = unknown["errors"]
    assert error["extensions"] == {"code": "NOT_FOUND", "argument": "symbol"}
    await seed_instrument(
        database_url, "LATE", weekdays(date(2024, 6, 3), date(2024, 12, 31)), wave(10, 0.1, 9)
    )
    late = await gql(client, BENCHMARK, {"id": pid, "symbol": "LATE"}, token=owner.token)
    assert late["errors"][0]["extensions"] == {"code": "NO_PRICES", "argument": "symbol"}
    backwards = await gql(
        client,
        """query($id: ID!) { portfolio(id: $id) {
          risk(from: "2024-05-01", to: "2024-04-01") { volatility } } }""",
        {"id": pid},
        token=owner.token,
    )
    assert backwards["errors"][0]["extensions"] == {"code": "INVALID", "argument": "from"}
    never = await gql(client, RISK, {"id": pid, "holding": "AAA"}, token=owner.token)
    assert never["errors"][0]["extensions"] == {"code": "NOT_FOUND", "argument": "holding"}
    rate = await gql(
        client,
        """query($id: ID!) { portfolio(id: $id) { risk(riskFreeRate: "3") { sharpe } } }""",
        {"id": pid},
        token=owner.token,
    )
    assert rate["errors"][0]["extensions"] == {"code": "INVALID", "argument": "riskFreeRate"}


SETTINGS = """mutation($input: UpdateAnalyticsSettingsInput!) {
  updateAnalyticsSettings(input: $input) { __typename
    ... on AnalyticsSettingsSuccess { settings { riskFreeRate riskFreeSymbol } }
    ... on ValidationError { problems { code field } } } }"""
SHARPE = """query($id: ID!) { portfolio(id: $id) {
  risk(from: "2024-01-02", to: "2024-12-31") { riskFreeRate sharpe } } }"""


async def test_the_organizations_risk_free_rate_a_constant_or_an_instrument(client, database_url):
    await seed_instrument(database_url, "AAA", DAYS, wave(100, 0.1, 20), kind="equity")
    await seed_instrument(database_url, "IRX", DAYS, lambda n: Decimal("5.0"), kind="other")
    owner = await sign_up(client, "owner@example.com")
    pid = await create(client, owner.token)
    await record(
        client,
        owner.token,
        pid,
        [
            {"type": "DEPOSIT", "date": "2024-01-02", "amount": "5000"},
            {
                "type": "BUY",
                "date": "2024-01-02",
                "symbol": "AAA",
                "quantity": "50",
                "price": "100",
            },
        ],
    )
    before = (await gql(client, SHARPE, {"id": pid}, token=owner.token))["data"]["portfolio"]
    assert Decimal(before["risk"]["riskFreeRate"]) == 0
    constant = await gql(client, SETTINGS, {"input": {"riskFreeRate": "0.03"}}, token=owner.token)
    assert constant["data"]["updateAnalyticsSettings"]["settings"] == {
        "riskFreeRate": "0.03",
        "riskFreeSymbol": None,
    }
    set_rate = (await gql(client, SHARPE, {"id": pid}, token=owner.token))["data"]["portfolio"]
    assert Decimal(set_rate["risk"]["riskFreeRate"]) == Decimal("0.03")
    assert Decimal(set_rate["risk"]["sharpe"]) < Decimal(before["risk"]["sharpe"])
    series = await gql(client, SETTINGS, {"input": {"riskFreeSymbol": "irx"}}, token=owner.token)
    assert series["data"]["updateAnalyticsSettings"]["settings"]["riskFreeSymbol"] == "IRX"
    from_series = (await gql(client, SHARPE, {"id": pid}, token=owner.token))["data"]["portfolio"]
    assert Decimal(from_series["risk"]["riskFreeRate"]) == Decimal("0.05")  # 5.0 percent
    both = await gql(
        client,
        SETTINGS,
        {"input": {"riskFreeRate": "0.01", "riskFreeSymbol": "IRX"}},
        token=owner.token,
    )
    assert both["data"]["updateAnalyticsSettings"]["problems"] == [
        {"code": "INVALID", "field": "input.riskFreeSymbol"}
    ]
    shown = await gql(
        client, "{ analyticsSettings { riskFreeRate riskFreeSymbol } }", token=owner.token
    )
    assert shown["data"]["analyticsSettings"] == {"riskFreeRate": None, "riskFreeSymbol": "IRX"}
