"""CSV imports through a saved column mapping (re-imports skip what is recorded; row errors
name the file's line) and the capital-gains export link (downloads for its organization
only)."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

from tests.api import portfolio_operations as pf
from tests.api.test_ledger_exports import auth
from tests.graphql_client import gql, sign_up
from tests.services.portfolio_fixtures import seed_market

BROKER_FILE = """Trade Date;Action;Ticker;Units;Price;Commission;Total;Ref
03.01.2024;Einzahlung;;;;;10.000,00;D-1
04.01.2024;Kauf;AAPL;10;100,50;1,00;;T-1
05.02.2024;Kauf;MSFT;5;200,00;1,00;;T-2
01.03.2024;Verkauf;AAPL;-4;120,00;1,00;;T-3
15.03.2024;Dividende;AAPL;;;;2,40;X-4
"""
MAPPING = {
    "date": "Trade Date",
    "type": "Action",
    "symbol": "Ticker",
    "quantity": "Units",
    "price": "Price",
    "fee": "Commission",
    "amount": "Total",
    "reference": "Ref",
    "dateFormat": "%d.%m.%Y",
    "decimalSeparator": ",",
    "typeValues": [
        {"value": "Einzahlung", "type": "DEPOSIT"},
        {"value": "Kauf", "type": "BUY"},
        {"value": "Verkauf", "type": "SELL"},
        {"value": "Dividende", "type": "DIVIDEND"},
    ],
}
MAPPINGS = "{ portfolioCsvMappings { id name date type dateFormat decimalSeparator } }"


def _semicolons(text: str) -> str:
    """The file above uses ';' (as many European brokers do): the importer reads commas."""
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


async def _import(client, token, pid, text, key, **kw):
    body = await gql(
        client,
        pf.IMPORT,
        {"input": {"portfolioId": pid, "csv": text, "idempotencyKey": key, **kw}},
        token=token,
    )
    assert "errors" not in body, body
    return body["data"]["importPortfolioTransactionsCsv"]


async def test_a_saved_mapping_imports_and_a_reimport_skips_duplicates(client, database_url):
    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com")
    pid = await pf.create(client, owner.token)
    text = _semicolons(BROKER_FILE)
    first = await _import(
        client, owner.token, pid, text, "file-1", mapping=MAPPING, saveMappingAs="Bank X"
    )
    assert first["__typename"] == "ImportPortfolioCsvSuccess", first
    assert (first["imported"], first["duplicates"]) == (5, [])
    assert first["mapping"]["name"] == "Bank X"
    mappings = await gql(client, MAPPINGS, token=owner.token)
    (saved,) = mappings["data"]["portfolioCsvMappings"]
    assert (saved["date"], saved["dateFormat"], saved["decimalSeparator"]) == (
        "Trade Date",
        "%d.%m.%Y",
        ",",
    )
    # The next month's file overlaps the first: only the new row is recorded.
    newer = text + '02.04.2024,Kauf,MSFT,1,"210,00","1,00",,T-5\n'
    second = await _import(client, owner.token, pid, newer, "file-2", mappingId=saved["id"])
    assert second["imported"] == 1
    assert [d["reference"] for d in second["duplicates"]] == ["D-1", "T-1", "T-2", "T-3", "X-4"]
    assert [d["line"] for d in second["duplicates"]] == [2, 3, 4, 5, 6]
    again = await _import(client, owner.token, pid, newer, "file-2", mappingId=saved["id"])
    assert again["replayed"] is True
    body = await gql(client, pf.PORTFOLIO, {"id": pid}, token=owner.token)
    portfolio = body["data"]["portfolio"]
    assert len(portfolio["transactions"]["edges"]) == 6
    # 10000 - 1006 - 1001 + (480 - 1) + 2.40 - 211
    assert Decimal(portfolio["cash"]) == Decimal("8263.4")


async def test_row_problems_name_the_files_line_and_nothing_is_written(client, database_url):
    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com")
    pid = await pf.create(client, owner.token)
    broken = _semicolons(BROKER_FILE).replace("05.02.2024", "31.02.2024").replace("-4", "40")
    refused = await _import(client, owner.token, pid, broken, "bad", mapping=MAPPING)
    assert refused["__typename"] == "ValidationError"
    assert [p["field"] for p in refused["problems"]] == ["input.csv[4].date"]
    fixed = broken.replace("31.02.2024", "05.02.2024")
    oversold = await _import(client, owner.token, pid, fixed, "bad-2", mapping=MAPPING)
    assert (oversold["code"], oversold["field"]) == (
        "INSUFFICIENT_QUANTITY",
        "input.csv[5].quantity",
    )
    body = await gql(client, pf.PORTFOLIO, {"id": pid}, token=owner.token)
    assert body["data"]["portfolio"]["transactions"]["edges"] == []
    missing = await _import(client, owner.token, pid, fixed, "bad-3")
    assert (missing["code"], missing["field"]) == ("REQUIRED", "input.mapping")


async def test_the_capital_gains_export_downloads_for_its_organization_only(client, database_url):
    await seed_market(database_url)
    owner = await sign_up(client, "owner@example.com")
    other = await sign_up(client, "other@example.com", org="Other")
    pid = await pf.create(client, owner.token)
    await pf.record(client, owner.token, pid, pf.BASICS)
    for fmt in ("CSV", "XLSX"):
        body = await gql(
            client,
            pf.EXPORT,
            {"input": {"portfolioId": pid, "taxYear": 2024, "format": fmt}},
            token=owner.token,
        )
        link = body["data"]["exportCapitalGains"]
        assert link["__typename"] == "ExportLink", body
        response = await client.get(link["url"], headers=auth(owner.token))
        assert response.status_code == 200, response.text
        if fmt == "CSV":
            rows = list(csv.reader(io.StringIO(response.text)))
            assert rows[0][:3] == ["sale date", "symbol", "name"]
            assert rows[1][:2] == ["2024-03-01", "AAPL"] and rows[1][9] == "SHORT"
            assert Decimal(rows[1][8]) == Decimal("98.5")
            assert rows[-1][0] == "total" and Decimal(rows[-1][8]) == Decimal("98.5")
        else:
            assert zipfile.ZipFile(io.BytesIO(response.content)).testzip() is None
        assert (await client.get(link["url"], headers=auth(other.token))).status_code == 404
        assert (await client.get(link["url"])).status_code == 401
    forged = link["url"][:-3] + ("AAA" if not link["url"].endswith("AAA") else "BBB")
    assert (await client.get(forged, headers=auth(owner.token))).status_code == 404
    report = await gql(
        client,
        """query($id: ID!) { portfolio(id: $id) { capitalGainsReport(taxYear: 2024) {
          shortTermTotal longTermTotal total rows { saleDate acquired term gain
          instrument { symbol } transaction { reference } } } } }""",
        {"id": pid},
        token=owner.token,
    )
    found = report["data"]["portfolio"]["capitalGainsReport"]
    assert (Decimal(found["shortTermTotal"]), Decimal(found["longTermTotal"])) == (
        Decimal("98.5"),
        0,
    )
    assert found["rows"][0]["transaction"] == {"reference": "s1"}
    assert found["rows"][0]["acquired"] == "2024-01-03"
