"""Export links: every statement and the journal as CSV and XLSX, streamed; a link works for
its organization only, and not after it expired."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta

from fiscus.services.identity.auth import authenticate
from fiscus.services.ledger import exports
from tests.api.test_ledger_statements import org_uuid, seed_books
from tests.api.test_members import join
from tests.graphql_client import gql, sign_up

EXPORT = """mutation($kind: StatementKind!, $format: ExportFormat!) {
  exportStatement(kind: $kind, format: $format, from: "2024-01-01", to: "2024-02-29",
                  compareWith: PREVIOUS_PERIOD) {
    __typename ... on ExportLink { url expiresAt } ... on ValidationError { field message } } }"""
JOURNAL = """mutation($format: ExportFormat!) {
  exportJournal(format: $format, from: "2023-01-01", to: "2024-12-31") {
    __typename ... on ExportLink { url expiresAt } } }"""


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_every_statement_and_the_journal_download_as_csv_and_xlsx(client, database_url):
    owner = await sign_up(client, "owner@example.com")
    await seed_books(database_url, owner.org_id)
    kinds = [
        "TRIAL_BALANCE",
        "INCOME_STATEMENT",
        "BALANCE_SHEET",
        "CASH_FLOW_DIRECT",
        "CASH_FLOW_INDIRECT",
    ]
    for kind in kinds:
        for fmt in ("CSV", "XLSX"):
            body = await gql(client, EXPORT, {"kind": kind, "format": fmt}, token=owner.token)
            link = body["data"]["exportStatement"]
            assert link["__typename"] == "ExportLink", body
            response = await client.get(link["url"], headers=auth(owner.token))
            assert response.status_code == 200, (kind, fmt, response.text)
            if fmt == "CSV":
                rows = list(csv.reader(io.StringIO(response.text)))
                assert rows[0][:6] == ["code", "line", "kind", "depth", "2024-01", "2024-02"]
                assert "compared 2023-12" in rows[0]
            else:
                assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
                assert zipfile.ZipFile(io.BytesIO(response.content)).testzip() is None
    pnl = await gql(
        client, EXPORT, {"kind": "INCOME_STATEMENT", "format": "CSV"}, token=owner.token
    )
    text = (await client.get(pnl["data"]["exportStatement"]["url"], headers=auth(owner.token))).text
    net = next(r for r in csv.reader(io.StringIO(text)) if r[1] == "Net income")
    assert net[4:6] == ["2800.0000", "1950.0000"]

    for fmt in ("CSV", "XLSX"):
        body = await gql(client, JOURNAL, {"format": fmt}, token=owner.token)
        response = await client.get(body["data"]["exportJournal"]["url"], headers=auth(owner.token))
        assert response.status_code == 200
        if fmt == "CSV":
            rows = list(csv.reader(io.StringIO(response.text)))
            assert rows[0][0] == "date"
            assert len(rows) == 1 + 15  # every line of the seeded entries
            assert rows[1][4] in {"1100", "3000"}


async def test_a_link_is_bound_to_its_organization_and_expires(client, app, database_url):
    owner = await sign_up(client, "owner@example.com")
    other = await sign_up(client, "other@example.com", org="Other")
    await seed_books(database_url, owner.org_id)
    body = await gql(client, EXPORT, {"kind": "BALANCE_SHEET", "format": "CSV"}, token=owner.token)
    url = body["data"]["exportStatement"]["url"]
    assert (await client.get(url, headers=auth(other.token))).status_code == 404
    assert (await client.get(url)).status_code == 401
    forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert (await client.get(forged, headers=auth(owner.token))).status_code == 404
    assert (await client.get(url, headers=auth(owner.token))).status_code == 200

    # A link made six minutes ago (links live five) is gone.
    runtime = app.state.runtime
    principal_now = runtime.identity.clock()
    principal = await authenticate(runtime.identity, owner.token)
    token, _ = exports.create_link(
        exports.link_key(runtime.settings),
        principal,
        exports.ExportRequest(
            what="balance_sheet",
            format="csv",
            from_day=date(2024, 1, 1),
            to_day=date(2024, 1, 31),
        ),
        principal_now - exports.LINK_TTL - timedelta(minutes=1),
    )
    assert (await client.get(f"/exports/{token}", headers=auth(owner.token))).status_code == 404
    assert org_uuid(owner.org_id) == str(principal.org_id)


async def test_viewers_export_statements_but_not_the_journal(client, app, settings, database_url):
    owner = await sign_up(client, "owner@example.com")
    _, viewer = await join(
        client, app.state.runtime.queue, settings, owner, "v@example.com", "VIEWER"
    )
    body = await gql(client, EXPORT, {"kind": "TRIAL_BALANCE", "format": "CSV"}, token=viewer)
    assert body["data"]["exportStatement"]["__typename"] == "ExportLink"
    body = await gql(client, JOURNAL, {"format": "CSV"}, token=viewer)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # A journal link made by the owner does not open for the viewer either.
    body = await gql(client, JOURNAL, {"format": "CSV"}, token=owner.token)
    url = body["data"]["exportJournal"]["url"]
    assert (await client.get(url, headers=auth(viewer))).status_code == 404


async def test_bad_arguments_are_typed_errors(client):
    owner = await sign_up(client, "owner@example.com")
    query = EXPORT.replace('"2024-02-29"', '"2023-02-28"')
    body = await gql(client, query, {"kind": "BALANCE_SHEET", "format": "CSV"}, token=owner.token)
    assert body["data"]["exportStatement"]["__typename"] == "ValidationError"
    assert body["data"]["exportStatement"]["field"] == "input.to"
