"""Market data through the API: manual instruments and their prices, latest prices with
staleness, prices connections, FX, tracking."""

from __future__ import annotations

import asyncpg

from tests.conftest import _plain
from tests.graphql_client import gql, sign_up
from tests.persistence.test_marketdata_reads import insert_global

CREATE = """mutation($input: CreateManualInstrumentInput!) { createManualInstrument(input: $input) {
  __typename ... on CreateManualInstrumentSuccess { instrument { id symbol isManual kind } }
  ... on UserError { code field message } } }"""
RECORD = """mutation($input: RecordPricesInput!) { recordPrices(input: $input) {
  __typename ... on RecordPricesSuccess { received written instrument { symbol } }
  ... on ValidationError { code field problems { field code message } }
  ... on UserError { code field message } } }"""
IMPORT = """mutation($input: ImportPricesCsvInput!) { importPricesCsv(input: $input) {
  __typename ... on RecordPricesSuccess { received written }
  ... on ValidationError { problems { field code } }
  ... on UserError { code field message } } }"""
TRACK = """mutation($symbol: String!) { trackInstrument(input: {symbol: $symbol}) {
  __typename ... on TrackInstrumentSuccess { newlyWatched instrument { symbol } }
  ... on UserError { code field message } } }"""
INSTRUMENT = """query($symbol: String!) { instrument(symbol: $symbol) { id symbol isManual
  latestPrice { close asOf isStale source filled }
  prices(first: 2) { edges { cursor node { date close open volume source } }
    pageInfo { hasNextPage endCursor } } } }"""


async def create_house(client, token: str, symbol: str = "HOUSE") -> dict:
    body = await gql(
        client,
        CREATE,
        {"input": {"symbol": symbol, "name": "Our house", "kind": "OTHER", "currency": "eur"}},
        token=token,
    )
    assert body["data"]["createManualInstrument"]["__typename"] == "CreateManualInstrumentSuccess"
    return body["data"]["createManualInstrument"]["instrument"]


async def test_manual_prices_are_recorded_and_read_back_with_their_age(client):
    owner = await sign_up(client, "owner@example.com")
    created = await create_house(client, owner.token)
    assert created["isManual"] and created["kind"] == "OTHER"
    prices = [
        {"date": "2024-01-02", "close": "350000.00", "volume": "3000000000"},
        {"date": "2024-02-01", "close": "351000.5"},
        {
            "date": "2024-03-01",
            "close": "352000",
            "open": "351000",
            "high": "353000",
            "low": "350500",
        },
    ]
    body = await gql(
        client, RECORD, {"input": {"symbol": "house", "prices": prices}}, token=owner.token
    )
    assert body["data"]["recordPrices"] == {
        "__typename": "RecordPricesSuccess",
        "received": 3,
        "written": 3,
        "instrument": {"symbol": "HOUSE"},
    }
    again = await gql(
        client, RECORD, {"input": {"symbol": "HOUSE", "prices": prices}}, token=owner.token
    )
    assert again["data"]["recordPrices"]["written"] == 0  # unchanged days are not rewritten

    read = await gql(client, INSTRUMENT, {"symbol": "HOUSE"}, token=owner.token)
    instrument = read["data"]["instrument"]
    assert instrument["latestPrice"] == {
        "close": "352000.00",
        "asOf": "2024-03-01",
        "isStale": True,
        "source": "manual",
        "filled": True,
    }
    edges = instrument["prices"]["edges"]
    assert [e["node"]["date"] for e in edges] == ["2024-01-02", "2024-02-01"]
    assert edges[0]["node"]["volume"] == 3000000000 and edges[1]["node"]["close"] == "351000.50"
    assert instrument["prices"]["pageInfo"]["hasNextPage"]
    rest = await gql(
        client,
        """query($after: String) { instrument(symbol: "HOUSE") { prices(after: $after) {
        edges { node { date open } } pageInfo { hasNextPage } } } }""",
        {"after": instrument["prices"]["pageInfo"]["endCursor"]},
        token=owner.token,
    )
    assert rest["data"]["instrument"]["prices"] == {
        "edges": [{"node": {"date": "2024-03-01", "open": "351000.00"}}],
        "pageInfo": {"hasNextPage": False},
    }


async def test_one_bad_row_rejects_the_whole_batch_naming_every_offending_row(client):
    owner = await sign_up(client, "owner@example.com")
    await create_house(client, owner.token)
    prices = [
        {"date": "2024-01-02", "close": "10"},
        {"date": "2024-13-01", "close": "10"},
        {"date": "2024-01-04", "close": "-1"},
        {"date": "2024-01-05", "close": "10", "high": "9"},
        {"date": "2024-01-02", "close": "abc"},
    ]
    body = await gql(
        client, RECORD, {"input": {"symbol": "HOUSE", "prices": prices}}, token=owner.token
    )
    result = body["data"]["recordPrices"]
    assert result["__typename"] == "ValidationError"
    assert [(p["field"], p["code"]) for p in result["problems"]] == [
        ("input.prices[1].date", "INVALID"),
        ("input.prices[2].close", "INVALID"),
        ("input.prices[3].high", "INVALID"),
        ("input.prices[4].close", "INVALID"),
        ("input.prices[4].date", "INVALID"),
    ]
    read = await gql(client, INSTRUMENT, {"symbol": "HOUSE"}, token=owner.token)
    assert read["data"]["instrument"]["latestPrice"] is None  # nothing was written


async def test_a_csv_import_reports_file_line_numbers_and_is_all_or_nothing(client):
    owner = await sign_up(client, "owner@example.com")
    await create_house(client, owner.token)
    bad = "\ufeffdate,close,volume\r\n2024-01-02,10,5\r\n\r\n2024-01-03,ten,5\r\n"
    body = await gql(client, IMPORT, {"input": {"symbol": "HOUSE", "csv": bad}}, token=owner.token)
    assert body["data"]["importPricesCsv"]["problems"] == [
        {"field": "input.csv[4].close", "code": "INVALID"}
    ]
    good = "date,close,volume\r\n2024-01-02,10,5\r\n2024-01-03,11,6\r\n"
    body = await gql(client, IMPORT, {"input": {"symbol": "HOUSE", "csv": good}}, token=owner.token)
    assert body["data"]["importPricesCsv"] == {
        "__typename": "RecordPricesSuccess",
        "received": 2,
        "written": 2,
    }
    too_big = "date,close\n" + "2024-01-02,1\n" * 62_000
    body = await gql(
        client, IMPORT, {"input": {"symbol": "HOUSE", "csv": too_big}}, token=owner.token
    )
    assert body["data"]["importPricesCsv"]["problems"] == [
        {"field": "input.csv", "code": "TOO_LONG"}
    ]


async def test_a_manual_symbol_may_not_shadow_a_global_one_and_prices_go_to_manual_only(
    client, database_url
):
    owner = await sign_up(client, "owner@example.com")
    await insert_global(database_url, "AAPL")
    body = await gql(
        client,
        CREATE,
        {"input": {"symbol": "aapl", "name": "Mine", "kind": "EQUITY", "currency": "USD"}},
        token=owner.token,
    )
    assert body["data"]["createManualInstrument"]["code"] == "SYMBOL_TAKEN"
    body = await gql(
        client,
        RECORD,
        {"input": {"symbol": "AAPL", "prices": [{"date": "2024-01-02", "close": "1"}]}},
        token=owner.token,
    )
    assert body["data"]["recordPrices"]["code"] == "NOT_MANUAL"
    body = await gql(
        client,
        RECORD,
        {"input": {"symbol": "NOPE", "prices": [{"date": "2024-01-02", "close": "1"}]}},
        token=owner.token,
    )
    assert body["data"]["recordPrices"] == {
        "__typename": "NotFoundError",
        "code": "NOT_FOUND",
        "field": "input.symbol",
        "message": "No instrument NOPE.",
    }


async def test_tracking_a_known_instrument_watches_it_once_and_unknown_ones_are_not_found(
    client, database_url
):
    owner = await sign_up(client, "owner@example.com")
    aapl = await insert_global(database_url, "AAPL")
    first = await gql(client, TRACK, {"symbol": "aapl"}, token=owner.token)
    assert first["data"]["trackInstrument"] == {
        "__typename": "TrackInstrumentSuccess",
        "newlyWatched": True,
        "instrument": {"symbol": "AAPL"},
    }
    second = await gql(client, TRACK, {"symbol": "AAPL"}, token=owner.token)
    assert second["data"]["trackInstrument"]["newlyWatched"] is False
    unknown = await gql(client, TRACK, {"symbol": "ZZZZ"}, token=owner.token)
    assert unknown["data"]["trackInstrument"]["code"] == "NOT_FOUND"
    connection = await asyncpg.connect(_plain(database_url))
    try:
        watched = await connection.fetch("SELECT instrument_id FROM instrument_watches")
    finally:
        await connection.close()
    assert [w[0] for w in watched] == [aapl]


async def test_fx_rates_invert_and_cross_through_usd(client, database_url):
    owner = await sign_up(client, "owner@example.com")
    eur = await insert_global(database_url, "EURUSD=X", "currency")
    jpy = await insert_global(database_url, "USDJPY=X", "currency")
    connection = await asyncpg.connect(_plain(database_url))
    try:
        for instrument, close in ((eur, "1.1"), (jpy, "150")):
            await connection.execute(
                "INSERT INTO daily_prices (instrument_id, day, close, source)"
                " VALUES ($1, '2024-03-05', $2::numeric, 'simulated')",
                instrument,
                close,
            )
    finally:
        await connection.close()
    query = """query($from: String!, $to: String!) { fxRate(from: $from, to: $to,
      date: "2024-03-06") { rate asOf isStale path } }"""
    cross = await gql(client, query, {"from": "eur", "to": "JPY"}, token=owner.token)
    assert cross["data"]["fxRate"] == {
        "rate": "165.0000000000",
        "asOf": "2024-03-05",
        "isStale": False,
        "path": ["EURUSD=X", "USDJPY=X"],
    }
    inverse = await gql(client, query, {"from": "USD", "to": "EUR"}, token=owner.token)
    assert inverse["data"]["fxRate"]["rate"] == "0.9090909091"
    missing = await gql(client, query, {"from": "CHF", "to": "SEK"}, token=owner.token)
    assert missing["data"] is None
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "CHF/SEK" in missing["errors"][0]["message"]


async def test_ten_thousand_prices_go_in_one_http_request_and_one_more_is_refused(client):
    """`prices` declares its own list cap (10,000) above the general one (1,000)."""
    from datetime import date, timedelta

    owner = await sign_up(client, "owner@example.com")
    await create_house(client, owner.token)
    start = date(1990, 1, 1)
    prices = [
        {
            "date": (start + timedelta(days=i)).isoformat(),
            "close": f"{100 + i % 50}.25",
            "open": "100.00",
            "high": "160.00",
            "low": "99.00",
            "volume": "1234567",
        }
        for i in range(10_001)
    ]
    too_many = await gql(
        client, RECORD, {"input": {"symbol": "HOUSE", "prices": prices}}, token=owner.token
    )
    assert too_many["errors"][0]["extensions"]["code"] == "LIST_INPUT_TOO_LONG"
    assert "at most 10000" in too_many["errors"][0]["message"]
    body = await gql(
        client,
        RECORD,
        {"input": {"symbol": "HOUSE", "prices": prices[:10_000]}},
        token=owner.token,
    )
    assert body["data"]["recordPrices"] == {
        "__typename": "RecordPricesSuccess",
        "received": 10_000,
        "written": 10_000,
        "instrument": {"symbol": "HOUSE"},
    }


async def test_live_quote_is_the_last_tick_the_streamer_published(client, runtime, database_url):
    from fiscus.realtime import channels

    owner = await sign_up(client, "owner@example.com")
    await insert_global(database_url, "AAPL")
    await insert_global(database_url, "MSFT")
    query = """{ instruments(first: 10) { edges { node { symbol
      liveQuote { symbol price change changePercent dayVolume at seq } } } } }"""
    body = await gql(client, query, token=owner.token)
    assert [e["node"]["liveQuote"] for e in body["data"]["instruments"]["edges"]] == [None, None]
    for price in ("187.00", "187.25"):
        await runtime.broker.publish(
            channels.price("AAPL"),
            {
                "symbol": "AAPL",
                "price": price,
                "change": "2.25",
                "changePercent": "1.2162",
                "dayVolume": 1000,
                "at": "2026-12-01T15:00:00+00:00",
            },
        )
    body = await gql(client, query, token=owner.token)
    quotes = {
        e["node"]["symbol"]: e["node"]["liveQuote"] for e in body["data"]["instruments"]["edges"]
    }
    assert quotes["MSFT"] is None
    assert quotes["AAPL"] == {
        "symbol": "AAPL",
        "price": "187.25",
        "change": "2.25",
        "changePercent": "1.2162",
        "dayVolume": 1000,
        "at": "2026-12-01T15:00:00+00:00",
        "seq": 2,
    }
