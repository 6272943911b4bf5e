"""Exports of statements and of the journal as CSV or XLSX, fetched through short-lived
links.

A link carries what to export, the organization and its expiry (``LINK_TTL``), signed with
HMAC-SHA256 under a key derived from the JWT secret; downloading it needs the caller's
access token as well, and answers "not found" for a forged or expired link and for a caller
of another organization (or whose role no longer reads it). CSV is streamed chunk by chunk
(the journal row by row from a server-side cursor); XLSX is written by XlsxWriter in
constant-memory mode to a temporary file in a worker thread (the journal in batches), then
streamed from that file.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import csv
import hmac
import io
import json
import os
import tempfile
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import xlsxwriter

from fiscus.config import Settings
from fiscus.domain.errors import FieldIssue, NotFound, ValidationFailed
from fiscus.domain.identity import Permission, Principal
from fiscus.domain.ledger.statements import (
    Comparison,
    Interval,
    Statement,
    StatementKind,
    label,
    split_periods,
)
from fiscus.persistence.reads.ledger import JournalReads
from fiscus.services.ledger.statements import (
    ReadingContext,
    StatementRequest,
    build_statement,
    checked_dimension,
)

LINK_TTL = timedelta(minutes=5)
JOURNAL = "journal"
MAX_JOURNAL_DAYS = 366 * 10
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class ExportRequest:
    what: str
    """A ``StatementKind`` value, or ``journal``."""
    format: str
    """``csv`` or ``xlsx``."""
    from_day: date
    to_day: date
    interval: str = Interval.MONTH.value
    compare_with: str | None = None
    dimension: tuple[str, str] | None = None
    currency: str | None = None

    @property
    def permission(self) -> Permission:
        """Viewers read statements but not entries."""
        return Permission.LEDGER_READ if self.what == JOURNAL else Permission.REPORTS_READ

    def statement_request(self) -> StatementRequest:
        return StatementRequest(
            kind=StatementKind(self.what),
            from_day=self.from_day,
            to_day=self.to_day,
            interval=Interval(self.interval),
            compare_with=Comparison(self.compare_with) if self.compare_with else None,
            dimension=self.dimension,
            currency=self.currency,
        )

    def to_json(self, principal: Principal, expires_at: datetime) -> str:
        values: dict[str, Any] = asdict(self)
        values.update(
            from_day=self.from_day.isoformat(),
            to_day=self.to_day.isoformat(),
            org_id=str(principal.org_id),
            expires_at=expires_at.isoformat(),
        )
        return json.dumps(values, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> tuple[ExportRequest, str, datetime]:
        values = json.loads(raw)
        org_id = values.pop("org_id")
        expires_at = datetime.fromisoformat(values.pop("expires_at"))
        values["from_day"] = date.fromisoformat(values["from_day"])
        values["to_day"] = date.fromisoformat(values["to_day"])
        values["dimension"] = tuple(values["dimension"]) if values["dimension"] else None
        return cls(**values), org_id, expires_at


def checked(request: ExportRequest) -> ExportRequest:
    """Argument checks done when the link is made, so the download rarely fails."""
    if request.format not in ("csv", "xlsx"):
        raise ValidationFailed([FieldIssue("format", "INVALID", "csv or xlsx.")])
    if request.to_day < request.from_day:
        raise ValidationFailed([FieldIssue("to", "INVALID", "`to` must not be before `from`.")])
    if request.what == JOURNAL:
        if (request.to_day - request.from_day).days > MAX_JOURNAL_DAYS:
            raise ValidationFailed([FieldIssue("to", "INVALID", "At most ten years at once.")])
        return request
    split_periods(request.from_day, request.to_day, Interval(request.interval))
    if request.dimension is not None:
        return ExportRequest(
            **{**asdict(request), "dimension": checked_dimension(*request.dimension)}
        )
    return request


def link_key(settings: Settings) -> bytes:
    """The links' HMAC key, derived from the JWT secret (never the secret itself)."""
    secret = settings.auth.jwt_secret
    if secret is None:
        raise RuntimeError("exports need auth.jwt_secret (with_jwt_secret sets it)")
    return hmac.new(secret.get_secret_value().encode(), b"ledger-export-link", "sha256").digest()


def _sign(key: bytes, payload: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, payload, "sha256").digest()).decode().rstrip("=")


def create_link(
    key: bytes, principal: Principal, request: ExportRequest, now: datetime
) -> tuple[str, datetime]:
    """(token, expiry) of a link for ``request``: the request, the organization and the
    expiry, signed with HMAC-SHA256."""
    request = checked(request)
    expires_at = now + LINK_TTL
    payload = request.to_json(principal, expires_at).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_sign(key, payload)}", expires_at


def claim_link(key: bytes, principal: Principal, token: str, now: datetime) -> ExportRequest:
    """What the link exports, for this caller; NotFound when forged, expired, of another
    organization, or beyond the caller's current role."""
    body, _, signature = token.partition(".")
    if not body or not signature or len(token) > 4000:
        raise NotFound("No such export.")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, binascii.Error):
        raise NotFound("No such export.") from None
    if not hmac.compare_digest(_sign(key, payload), signature):
        raise NotFound("No such export.")
    request, org_id, expires_at = ExportRequest.from_json(payload)
    if expires_at <= now:
        raise NotFound("No such export.")
    if org_id != str(principal.org_id) or not principal.can(request.permission):
        raise NotFound("No such export.")
    return request


# -- tables ---------------------------------------------------------------------------------

Row = Sequence[str | Decimal | date | int | None]


def statement_table(statement: Statement, interval: Interval) -> list[Row]:
    labels = [label(p, interval) for p in statement.columns]
    header: list[str] = ["code", "line", "kind", "depth", *labels]
    if statement.compared_columns is not None:
        before = [label(p, interval) for p in statement.compared_columns]
        header += [f"compared {x}" for x in before] + [f"delta {x}" for x in labels]
    rows: list[Row] = [header]
    for line in statement.lines:
        row: list[Any] = [line.code or "", line.label, line.kind.value, line.depth, *line.amounts]
        if line.compared is not None and line.deltas is not None:
            row += [*line.compared, *line.deltas]
        rows.append(row)
    return rows


JOURNAL_HEADER: Row = [
    "date",
    "entry",
    "entry memo",
    "line",
    "account code",
    "account",
    "amount",
    "currency",
    "rate",
    "counterparty",
    "memo",
    "dimensions",
]


def _journal_row(record: Any) -> Row:
    dims = record["dimensions"] or {}
    return [
        record["entry_date"],
        str(record["entry_id"]),
        record["entry_memo"] or "",
        record["line_no"],
        record["code"],
        record["account_name"],
        Decimal(record["amount"]),
        record["currency"].strip(),
        Decimal(record["rate"]) if record["rate"] is not None else None,
        record["counterparty"] or "",
        record["memo"] or "",
        ";".join(f"{k}={v}" for k, v in sorted(dims.items())),
    ]


def _csv_bytes(rows: Iterable[Row]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode()


class _Workbook:
    """An XlsxWriter workbook in constant-memory mode; every call runs in a worker thread."""

    def __init__(self) -> None:
        handle, self.path = tempfile.mkstemp(suffix=".xlsx")
        os.close(handle)
        self._book = xlsxwriter.Workbook(self.path, {"constant_memory": True})
        self._sheet = self._book.add_worksheet("export")
        self._date = self._book.add_format({"num_format": "yyyy-mm-dd"})
        self._row = 0

    def write(self, rows: Iterable[Row]) -> None:
        for row in rows:
            for column, value in enumerate(row):
                if isinstance(value, Decimal):
                    self._sheet.write_number(self._row, column, float(value))
                elif isinstance(value, date):
                    self._sheet.write_datetime(
                        self._row, column, datetime(value.year, value.month, value.day), self._date
                    )
                elif value is not None:
                    self._sheet.write(self._row, column, value)
            self._row += 1

    def close(self) -> None:
        self._book.close()


async def _stream_file(path: str) -> AsyncIterator[bytes]:
    try:
        handle = await asyncio.to_thread(open, path, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, _CHUNK):
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)
    finally:
        os.unlink(path)


async def _xlsx(batches: AsyncIterator[list[Row]]) -> AsyncIterator[bytes]:
    book = await asyncio.to_thread(_Workbook)
    try:
        async for batch in batches:
            await asyncio.to_thread(book.write, batch)
        await asyncio.to_thread(book.close)
    except BaseException:
        os.unlink(book.path)
        raise
    async for chunk in _stream_file(book.path):
        yield chunk


@dataclass(frozen=True, slots=True)
class ExportFile:
    filename: str
    media_type: str
    body: AsyncIterator[bytes]


MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


async def open_export(
    ctx: ReadingContext, principal: Principal, request: ExportRequest
) -> ExportFile:
    """The file. A statement is built before this returns (so its errors come first); the
    journal is read while the body is consumed."""
    name = f"{request.what}_{request.from_day.isoformat()}_{request.to_day.isoformat()}"
    if request.what == JOURNAL:
        batches = _journal_batches(ctx, principal, request)
    else:
        statement = await build_statement(ctx, principal, request.statement_request())
        table = statement_table(statement, Interval(request.interval))
        batches = _one(table)
    body = _csv(batches) if request.format == "csv" else _xlsx(batches)
    return ExportFile(f"{name}.{request.format}", MEDIA_TYPES[request.format], body)


async def _one(rows: list[Row]) -> AsyncIterator[list[Row]]:
    yield rows


async def _csv(batches: AsyncIterator[list[Row]]) -> AsyncIterator[bytes]:
    async for batch in batches:
        yield _csv_bytes(batch)


async def _journal_batches(
    ctx: ReadingContext, principal: Principal, request: ExportRequest
) -> AsyncIterator[list[Row]]:
    yield [JOURNAL_HEADER]
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        journal = JournalReads.of(reads.ledger)
        async for batch in journal.batches(request.from_day, request.to_day):
            yield [_journal_row(r) for r in batch]
