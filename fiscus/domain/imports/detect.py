"""The one entry point: bytes in, a parsed statement out. The format is detected from the
file's start (OFX/QFX) or its header row (the banks' CSV layouts); a caller may name it,
and a generic CSV needs its column mapping."""

from __future__ import annotations

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.imports.csv_rows import decode, records
from fiscus.domain.imports.csv_statements import layout_of_header, parse_bank_csv
from fiscus.domain.imports.generic import CsvMapping, parse_generic_csv
from fiscus.domain.imports.model import ParsedStatement, StatementFormat
from fiscus.domain.imports.ofx import looks_like_ofx, parse_ofx

MAX_FILE_BYTES = 32 * 1024 * 1024


def detect_format(data: bytes) -> StatementFormat | None:
    if looks_like_ofx(data):
        return StatementFormat.OFX
    for i, record in enumerate(records(decode(data[:65536]))):
        if record.error is not None or i >= 20:
            break
        layout = layout_of_header(record.cells)
        if layout is not None:
            return layout.format
    return None


def parse_statement(
    data: bytes,
    *,
    format: StatementFormat | None = None,
    mapping: CsvMapping | None = None,
    account_number: str | None = None,
) -> ParsedStatement:
    """Raises ``ValidationFailed`` (field ``file``, ``format`` or ``mapping``) when the file
    as a whole cannot be read; bad rows are problems of the result, never exceptions."""
    if not data.strip():
        raise ValidationFailed([FieldIssue("file", "REQUIRED", "The file is empty.")])
    if len(data) > MAX_FILE_BYTES:
        raise ValidationFailed(
            [FieldIssue("file", "TOO_LONG", f"A statement is at most {MAX_FILE_BYTES:,} bytes.")]
        )
    if format is None and mapping is not None:
        format = StatementFormat.GENERIC_CSV
    chosen = format or detect_format(data)
    if chosen is None:
        raise ValidationFailed(
            [
                FieldIssue(
                    "format",
                    "INVALID",
                    "The format was not recognized: choose one, or give a column mapping "
                    "for a generic CSV.",
                )
            ]
        )
    if chosen is StatementFormat.OFX:
        return parse_ofx(data, account_number=account_number)
    if chosen is StatementFormat.GENERIC_CSV:
        if mapping is None:
            raise ValidationFailed(
                [FieldIssue("mapping", "REQUIRED", "A generic CSV needs a column mapping.")]
            )
        return parse_generic_csv(decode(data), mapping)
    if chosen is StatementFormat.PLAID:
        raise ValidationFailed(
            [FieldIssue("format", "INVALID", "Plaid lines come from a bank connection.")]
        )
    return parse_bank_csv(decode(data), chosen)
