"""The capital-gains report of a tax year (``domain.portfolios.tax``) and its CSV / XLSX
export, fetched through a short-lived signed link like the ledger's exports.

A link carries the portfolio, the tax year, the format, the organization and its expiry
(``LINK_TTL``), signed with HMAC-SHA256 under a key derived from the JWT secret (never the
secret itself; another derivation than the ledger's). Downloading it
(``GET /exports/portfolios/<token>``) needs the caller's access token too and answers
"not found" for a forged or expired link, a caller of another organization or one whose
role no longer reads portfolios. The report is small (one row per sale of one year): the
file is built in a worker thread and sent in one piece.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import csv
import hmac
import io
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import xlsxwriter

from fiscus.config import Settings
from fiscus.domain.errors import ErrorCode, FieldIssue, NotFound, ValidationFailed
from fiscus.domain.identity import Permission, Principal
from fiscus.domain.marketdata import Instrument
from fiscus.domain.portfolios.tax import CapitalGainsReport, capital_gains_report
from fiscus.services.portfolios import pricing, queries
from fiscus.services.portfolios.context import PortfolioContext

LINK_TTL = timedelta(minutes=5)
FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HEADER = (
    "sale date",
    "symbol",
    "name",
    "quantity",
    "acquired",
    "proceeds",
    "cost basis",
    "fee",
    "gain",
    "term",
    "reference",
)


@dataclass(frozen=True, slots=True)
class Report:
    report: CapitalGainsReport
    instruments: dict[UUID, Instrument]
    references: dict[UUID, str | None]
    currency: str


async def capital_gains(
    ctx: PortfolioContext, principal: Principal, portfolio_id: UUID, tax_year: int
) -> Report:
    if not 1900 <= tax_year <= 2200:
        raise ValidationFailed([FieldIssue("taxYear", ErrorCode.INVALID, "A year.")])
    found = await queries.portfolios_by_ids(ctx, principal, [portfolio_id])
    portfolio = found.get(portfolio_id)
    if portfolio is None:
        raise NotFound("No such portfolio.", field="portfolioId")
    history = await queries.histories(ctx, principal, [portfolio_id])
    books = (await queries.books(ctx, principal, [portfolio], history))[portfolio_id]
    report = capital_gains_report(books, tax_year)
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        instruments = await pricing.instruments_by_ids(
            reads, {r.instrument_id for r in report.rows}
        )
    references = {s.transaction.id: s.transaction.reference for s in history[portfolio_id]}
    return Report(report, instruments, references, portfolio.base_currency)


def table(found: Report) -> list[Sequence[object]]:
    rows: list[Sequence[object]] = [HEADER]
    for r in found.report.rows:
        instrument = found.instruments.get(r.instrument_id)
        rows.append(
            (
                r.sale_date,
                instrument.symbol if instrument else "",
                instrument.name if instrument else "",
                r.quantity,
                r.acquired,
                r.proceeds,
                r.cost_basis,
                r.fee,
                r.gain,
                r.term.value,
                found.references.get(r.transaction_id) or "",
            )
        )
    report = found.report
    rows.append(())
    for label, value in (
        ("short-term total", report.short_total),
        ("long-term total", report.long_total),
        ("total", report.total),
    ):
        rows.append((label, found.currency, "", "", "", "", "", "", value))
    return rows


# -- links ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportRequest:
    portfolio_id: UUID
    tax_year: int
    format: str


def link_key(settings: Settings) -> bytes:
    secret = settings.auth.jwt_secret
    if secret is None:
        raise RuntimeError("exports need auth.jwt_secret (with_jwt_secret sets it)")
    return hmac.new(secret.get_secret_value().encode(), b"portfolio-export-link", "sha256").digest()


def _sign(key: bytes, payload: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, payload, "sha256").digest()).decode().rstrip("=")


def create_link(
    key: bytes, principal: Principal, request: ExportRequest, now: datetime
) -> tuple[str, datetime]:
    if request.format not in FORMATS:
        raise ValidationFailed([FieldIssue("format", ErrorCode.INVALID, "csv or xlsx.")])
    expires_at = now + LINK_TTL
    payload = json.dumps(
        {
            "portfolio_id": str(request.portfolio_id),
            "tax_year": request.tax_year,
            "format": request.format,
            "org_id": str(principal.org_id),
            "expires_at": expires_at.isoformat(),
        },
        separators=(",", ":"),
    ).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_sign(key, payload)}", expires_at


def claim_link(key: bytes, principal: Principal, token: str, now: datetime) -> ExportRequest:
    body, _, signature = token.partition(".")
    if not body or not signature or len(token) > 2000:
        raise NotFound("No such export.")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, binascii.Error):
        raise NotFound("No such export.") from None
    if not hmac.compare_digest(_sign(key, payload), signature):
        raise NotFound("No such export.")
    values = json.loads(payload)
    if datetime.fromisoformat(values["expires_at"]) <= now:
        raise NotFound("No such export.")
    if values["org_id"] != str(principal.org_id) or not principal.can(Permission.PORTFOLIO_READ):
        raise NotFound("No such export.")
    return ExportRequest(UUID(values["portfolio_id"]), int(values["tax_year"]), values["format"])


# -- files ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportFile:
    filename: str
    media_type: str
    body: AsyncIterator[bytes]


def _csv(rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode()


def _xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("capital gains")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, Decimal):
                sheet.write_number(r, c, float(value))
            elif isinstance(value, date):
                sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), day)
            elif value is not None:
                sheet.write(r, c, str(value))
    book.close()
    return buffer.getvalue()


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def open_export(
    ctx: PortfolioContext, principal: Principal, request: ExportRequest
) -> ExportFile:
    found = await capital_gains(ctx, principal, request.portfolio_id, request.tax_year)
    rows = table(found)
    build = _csv if request.format == "csv" else _xlsx
    data = await asyncio.to_thread(build, rows)
    name = f"capital_gains_{request.tax_year}.{request.format}"
    return ExportFile(name, MEDIA_TYPES[request.format], _one(data))
