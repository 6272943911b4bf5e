"""Portfolios over the real app: bulk recording, typed errors naming rows (nothing written),
edits and deletes recomputing, idempotency, transfers keeping dates and costs."""

from __future__ import annotations

from decimal import Decimal

from tests.api.portfolio_operations import (
    BASICS,
    DELETE_TX,
    GAINS,
    PORTFOLIO,
    TRANSFER,
    UPDATE_TX,
    create,
    record,
)
from tests.graphql_client import gql, sign_up
from tests.services.portfolio_fixtures import seed_market


async def test_record_bulk_then_read_holdings_lots_gains_and_income(client, database_url):
    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com")
    pid = await create(client, owner.token)
    done = await record(client, owner.token, pid, BASICS)
    assert done["__typename"] == "RecordPortfolioTransactionsSuccess", done
    assert (done["recorded"], done["replayed"]) == (6, False)
    assert Decimal(done["portfolio"]["cash"]) == Decimal("8504.5")
    body = await gql(client, PORTFOLIO, {"id": pid}, token=owner.token)
    assert "errors" not in body, body
    portfolio = body["data"]["portfolio"]
    (holding,) = portfolio["holdings"]
    assert holding["instrument"] == {"symbol": "AAPL", "name": "AAPL Inc", "currency": "USD"}
    assert Decimal(holding["quantity"]) == 30
    assert Decimal(holding["costBasis"]) == Decimal("1601.5")
    assert holding["price"] is not None and Decimal(holding["marketValue"]) > 0
    lots = portfolio["lots"]
    assert [(lot["acquiredOn"], Decimal(lot["quantity"])) for lot in lots] == [
        ("2024-01-03", 10),
        ("2024-02-01", 20),
    ]
    buys = [e["node"] for e in portfolio["transactions"]["edges"] if e["node"]["type"] == "BUY"]
    assert lots[0]["id"] == _raw(next(b["id"] for b in buys if b["reference"] == "b1"))
    gains = await gql(client, GAINS, {"id": pid}, token=owner.token)
    assert "errors" not in gains, gains
    (gain,) = gains["data"]["portfolio"]["realizedGains"]
    assert [Decimal(x["quantity"]) for x in gain["lots"]] == [5]
    assert gain["transaction"] == {"reference": "s1", "date": "2024-03-01"}
    assert (Decimal(gain["proceeds"]), Decimal(gain["costBasis"])) == (600, Decimal("500.5"))
    assert Decimal(gain["gain"]) == Decimal("98.5") and gain["term"] == "SHORT"
    assert [(i["type"], Decimal(i["amount"])) for i in portfolio["income"]] == [
        ("DIVIDEND", Decimal("7.5"))
    ]
    dated = [e["node"]["date"] for e in portfolio["transactions"]["edges"]]
    assert dated == sorted(dated, reverse=True)


def _raw(global_id: str) -> str:
    import base64

    return base64.urlsafe_b64decode(global_id).decode().split(":", 1)[1]


async def test_a_broken_rule_names_the_row_and_field_and_writes_nothing(client, database_url):
    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com")
    pid = await create(client, owner.token)
    rows = [
        *BASICS,
        {"type": "SELL", "date": "2024-05-01", "symbol": "AAPL", "quantity": "31", "price": "70"},
    ]
    refused = await record(client, owner.token, pid, rows)
    assert refused == {
        "__typename": "RuleViolationError",
        "code": "INSUFFICIENT_QUANTITY",
        "field": "input.transactions[6].quantity",
        "message": refused["message"],
    }
    shape = await record(
        client,
        owner.token,
        pid,
        [
            {"type": "SPLIT", "date": "2024-01-02", "symbol": "AAPL", "ratio": "-1"},
            {"type": "BUY", "date": "2024-01-02", "symbol": "NOPE", "quantity": "1", "price": "1"},
        ],
        key="k2",
    )
    assert shape["__typename"] == "ValidationError"
    assert [(p["field"], p["code"]) for p in shape["problems"]] == [
        ("input.transactions[0].ratio", "INVALID")
    ]
    body = await gql(client, PORTFOLIO, {"id": pid}, token=owner.token)
    assert body["data"]["portfolio"]["transactions"]["edges"] == []
    assert Decimal(body["data"]["portfolio"]["cash"]) == 0


async def test_same_key_replays_and_another_input_is_a_conflict(client, database_url):
    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com")
    pid = await create(client, owner.token)
    first = await record(client, owner.token, pid, BASICS)
    again = await record(client, owner.token, pid, BASICS)
    assert again["replayed"] is True
    assert [t["id"] for t in again["transactions"]] == [t["id"] for t in first["transactions"]]
    other = await record(client, owner.token, pid, BASICS[:1])
    assert (other["__typename"], other["code"], other["field"]) == (
        "ConflictError",
        "IDEMPOTENCY_KEY_REUSED",
        "input.idempotencyKey",
    )


async def test_edits_and_deletes_recompute_and_a_breaking_delete_is_refused(client, database_url):
    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com")
    pid = await create(client, owner.token)
    done = await record(client, owner.token, pid, BASICS)
    ids = {t["reference"]: t["id"] for t in done["transactions"] if t["reference"]}
    edited = await gql(
        client,
        UPDATE_TX,
        {"input": {"transactionId": ids["b1"], "price": "90"}},
        token=owner.token,
    )
    assert edited["data"]["updatePortfolioTransaction"]["portfolio"]["cash"] == "8604.5000"
    deleted = await gql(
        client, DELETE_TX, {"input": {"transactionId": ids["b2"]}}, token=owner.token
    )
    result = deleted["data"]["deletePortfolioTransaction"]
    assert result["__typename"] == "DeletePortfolioTransactionSuccess", deleted
    assert Decimal(result["portfolio"]["cash"]) == Decimal("9705.5")
    refused = await gql(
        client, DELETE_TX, {"input": {"transactionId": ids["b1"]}}, token=owner.token
    )
    failure = refused["data"]["deletePortfolioTransaction"]
    assert (failure["code"], failure["field"]) == ("INSUFFICIENT_QUANTITY", "input.transactionId")
    body = await gql(client, PORTFOLIO, {"id": pid}, token=owner.token)
    assert Decimal(body["data"]["portfolio"]["holdings"][0]["quantity"]) == 10


async def test_transfers_keep_acquisition_dates_and_costs(client, database_url):
    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com")
    source = await create(client, owner.token, "Broker A")
    target = await create(client, owner.token, "Broker B")
    await record(client, owner.token, source, BASICS)
    moved = await gql(
        client,
        TRANSFER,
        {
            "input": {
                "fromPortfolioId": source,
                "toPortfolioId": target,
                "date": "2024-06-03",
                "symbol": "AAPL",
                "quantity": "12",
                "idempotencyKey": "t1",
            }
        },
        token=owner.token,
    )
    done = moved["data"]["transferBetweenPortfolios"]
    assert done["__typename"] == "TransferSuccess", moved
    lots = done["transferIn"]["transferredLots"]
    # FIFO: the 10 left of the first lot (5 x 2 after the split), then 2 of the second.
    assert [(x["acquiredOn"], Decimal(x["quantity"]), Decimal(x["costBasis"])) for x in lots] == [
        ("2024-01-03", 10, Decimal("500.5")),
        ("2024-02-01", 2, Decimal("110.1")),
    ]
    body = await gql(client, PORTFOLIO, {"id": target}, token=owner.token)
    target_lots = body["data"]["portfolio"]["lots"]
    assert [lot["acquiredOn"] for lot in target_lots] == ["2024-01-03", "2024-02-01"]
    assert Decimal(body["data"]["portfolio"]["holdings"][0]["costBasis"]) == Decimal("610.6")
    # Editing the source's history recomputes the lots the target received.
    buys = await gql(client, PORTFOLIO, {"id": source}, token=owner.token)
    first_buy = next(
        e["node"]["id"]
        for e in buys["data"]["portfolio"]["transactions"]["edges"]
        if e["node"]["reference"] == "b1"
    )
    await gql(
        client, UPDATE_TX, {"input": {"transactionId": first_buy, "price": "90"}}, token=owner.token
    )
    body = await gql(client, PORTFOLIO, {"id": target}, token=owner.token)
    assert Decimal(body["data"]["portfolio"]["holdings"][0]["costBasis"]) == Decimal("560.6")
    again = await gql(
        client,
        TRANSFER,
        {
            "input": {
                "fromPortfolioId": source,
                "toPortfolioId": target,
                "date": "2024-06-03",
                "symbol": "AAPL",
                "quantity": "12",
                "idempotencyKey": "t1",
            }
        },
        token=owner.token,
    )
    assert again["data"]["transferBetweenPortfolios"]["replayed"] is True


ANALYSIS = """query($id: ID!) { portfolio(id: $id) {
  valuation(from: "2024-01-01", to: "2024-01-10") { date cash marketValue value inflow
    carriedForward }
  performance(from: "2024-01-01", to: "2024-06-28") { from to startValue endValue twr
    twrAnnualized xirr xirrUnavailableReason absoluteGain priceEffect incomeEffect
    currencyEffect fees carriedForward }
  ytd: performance(period: YTD) { from to }
  byInstrument: allocation(by: INSTRUMENT) { key value weight }
  byCurrency: allocation(by: CURRENCY) { key value weight }
} }"""
SUMMARY = """{ organizationPortfolioSummary(from: "2024-01-01", to: "2024-06-28", currency: "EUR") {
  currency portfolios performance { startValue endValue absoluteGain twr } } }"""


async def test_valuation_performance_allocation_and_the_organization_summary(client, database_url):
    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com")
    pid = await create(client, owner.token)
    await record(client, owner.token, pid, BASICS)
    euro = await create(client, owner.token, "Euro", base="EUR")
    await record(
        client,
        owner.token,
        euro,
        [
            {"type": "DEPOSIT", "date": "2024-01-02", "amount": "1000"},
            {
                "type": "BUY",
                "date": "2024-01-05",
                "symbol": "SAP.DE",
                "quantity": "10",
                "price": "52",
            },
        ],
        key="eur",
    )
    body = await gql(client, ANALYSIS, {"id": pid}, token=owner.token)
    assert "errors" not in body, body
    found = body["data"]["portfolio"]
    points = found["valuation"]
    assert [p["date"] for p in points][:3] == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert Decimal(points[1]["inflow"]) == 10000
    # 3 January: cash 8999 and 10 AAPL at that day's close (100.00 + 0.10 x 33 days).
    assert Decimal(points[2]["cash"]) == Decimal("8999")
    assert Decimal(points[2]["marketValue"]) == Decimal("1033")
    performance = found["performance"]
    assert Decimal(performance["startValue"]) == 0
    gain = Decimal(performance["endValue"]) - 10000
    assert Decimal(performance["absoluteGain"]) == gain
    assert Decimal(performance["incomeEffect"]) == Decimal("7.5")
    assert performance["xirr"] is not None or performance["xirrUnavailableReason"]
    assert found["ytd"]["from"].endswith("-12-31")
    weights = [Decimal(s["weight"]) for s in found["byInstrument"]]
    assert {s["key"] for s in found["byInstrument"]} == {"AAPL", "CASH"}
    assert abs(sum(weights) - 1) < Decimal("0.000001")
    assert [s["key"] for s in found["byCurrency"]] == ["USD"]
    summary = await gql(client, SUMMARY, token=owner.token)
    assert "errors" not in summary, summary
    combined = summary["data"]["organizationPortfolioSummary"]
    assert (combined["currency"], combined["portfolios"]) == ("EUR", 2)
    # The USD portfolio converted at EUR/USD 1.1 plus the EUR one.
    euro_perf = await gql(
        client,
        """query($id: ID!) { portfolio(id: $id) { performance(from: "2024-01-01",
        to: "2024-06-28") { endValue } } }""",
        {"id": euro},
        token=owner.token,
    )
    end_eur = Decimal(euro_perf["data"]["portfolio"]["performance"]["endValue"])
    end_usd = Decimal(performance["endValue"])
    expected = (end_usd / Decimal("1.1")).quantize(Decimal("0.0001")) + end_eur
    assert abs(Decimal(combined["performance"]["endValue"]) - expected) <= Decimal("0.0001")
