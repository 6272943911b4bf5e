"""A broker's CSV export read through a column mapping (pure; run off the event loop).

A mapping names the header of each field (``date`` and ``type`` required; the others
optional), the date format (``strptime``), the decimal separator (``.`` or ``,``; the
other one, spaces and apostrophes are taken as thousands separators) and optionally the
file's own words for types ("Kauf" -> BUY; otherwise the type names themselves, any case).
Headers match case-insensitively; a BOM and CRLF line ends are fine. Brokers that sign
quantities and amounts (a sale as -10) are read as magnitudes: the type gives the
direction. Problems name the file's line: ``csv[<line>].<field>``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fiscus.domain.errors import ErrorCode, FieldIssue, ValidationFailed
from fiscus.domain.portfolios.model import MAX_TRANSACTIONS_PER_CALL, TransactionType
from fiscus.services.portfolios.rows import TransactionInput

FIELDS = (
    "date",
    "type",
    "symbol",
    "quantity",
    "price",
    "fee",
    "amount",
    "ratio",
    "reference",
    "note",
    "currency",
)
REQUIRED = ("date", "type")
DECIMALS = ("quantity", "price", "fee", "amount", "ratio")
MAX_ISSUES = 100
MAX_HEADER = 100


@dataclass(frozen=True, slots=True)
class CsvMapping:
    columns: dict[str, str]
    """Field -> the file's header for it."""
    date_format: str = "%Y-%m-%d"
    decimal_separator: str = "."
    type_values: dict[str, TransactionType] = field(default_factory=dict)
    """The file's word (lower-cased) -> type."""

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": dict(self.columns),
            "date_format": self.date_format,
            "decimal_separator": self.decimal_separator,
            "type_values": {k: v.value for k, v in self.type_values.items()},
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> CsvMapping:
        return cls(
            dict(raw.get("columns") or {}),
            str(raw.get("date_format") or "%Y-%m-%d"),
            str(raw.get("decimal_separator") or "."),
            {str(k): TransactionType(v) for k, v in (raw.get("type_values") or {}).items()},
        )


def checked_mapping(
    columns: Mapping[str, str | None],
    *,
    date_format: str,
    decimal_separator: str,
    type_values: Mapping[str, TransactionType],
) -> CsvMapping:
    issues: list[FieldIssue] = []
    kept: dict[str, str] = {}
    for name in FIELDS:
        header = (columns.get(name) or "").strip()
        if not header:
            if name in REQUIRED:
                issues.append(FieldIssue(f"mapping.{name}", ErrorCode.REQUIRED, "A header name."))
            continue
        if len(header) > MAX_HEADER:
            issues.append(FieldIssue(f"mapping.{name}", ErrorCode.TOO_LONG, "At most 100."))
        kept[name] = header
    if decimal_separator not in (".", ","):
        issues.append(FieldIssue("mapping.decimalSeparator", ErrorCode.INVALID, '"." or ",".'))
    try:
        sample = datetime(2024, 12, 31).strftime(date_format)
        datetime.strptime(sample, date_format)
        if "%Y" not in date_format and "%y" not in date_format:
            raise ValueError("no year")
    except ValueError:
        issues.append(
            FieldIssue("mapping.dateFormat", ErrorCode.INVALID, "A strptime date format.")
        )
    if issues:
        raise ValidationFailed(issues)
    return CsvMapping(
        kept,
        date_format,
        decimal_separator,
        {k.strip().lower(): v for k, v in type_values.items() if k.strip()},
    )


@dataclass(frozen=True, slots=True)
class CsvRows:
    lines: list[int]
    rows: list[TransactionInput]


def _decimal(raw: str, separator: str) -> Decimal | None:
    text = raw.strip().replace(" ", "").replace("'", "").replace("\u00a0", "")
    if separator == ",":
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return abs(value) if value.is_finite() else None


def parse_csv(text: str, mapping: CsvMapping) -> CsvRows:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next(reader, None)
    if header is None:
        raise ValidationFailed([FieldIssue("csv", ErrorCode.REQUIRED, "The file is empty.")])
    positions = {name.strip().lower(): i for i, name in enumerate(header)}
    index: dict[str, int] = {}
    missing: list[FieldIssue] = []
    for name, column in mapping.columns.items():
        found = positions.get(column.strip().lower())
        if found is None:
            missing.append(
                FieldIssue("csv[1]", ErrorCode.REQUIRED, f"No column {column!r} (for {name}).")
            )
        else:
            index[name] = found
    if missing:
        raise ValidationFailed(missing)
    lines: list[int] = []
    rows: list[TransactionInput] = []
    issues: list[FieldIssue] = []
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) >= MAX_TRANSACTIONS_PER_CALL:
            issues.append(
                FieldIssue(f"csv[{line}]", ErrorCode.INVALID, "At most 10,000 rows per file.")
            )
            break

        def cell(name: str, record: list[str] = record) -> str:
            at = index.get(name)
            return record[at].strip() if at is not None and at < len(record) else ""

        values: dict[str, Any] = {}
        raw_type = cell("type")
        kind = mapping.type_values.get(raw_type.lower())
        if kind is None:
            try:
                kind = TransactionType(raw_type.upper().replace(" ", "_"))
            except ValueError:
                issues.append(
                    FieldIssue(
                        f"csv[{line}].type", ErrorCode.INVALID, f"Unknown type {raw_type!r}."
                    )
                )
        try:
            day = datetime.strptime(cell("date"), mapping.date_format).date()
        except ValueError:
            issues.append(
                FieldIssue(
                    f"csv[{line}].date",
                    ErrorCode.INVALID,
                    f"A date like {datetime(2024, 12, 31).strftime(mapping.date_format)}.",
                )
            )
            day = None
        for name in DECIMALS:
            raw = cell(name)
            if not raw:
                continue
            value = _decimal(raw, mapping.decimal_separator)
            if value is None:
                issues.append(FieldIssue(f"csv[{line}].{name}", ErrorCode.INVALID, "A number."))
            else:
                values[name] = value
        for name in ("symbol", "reference", "note", "currency"):
            values[name] = cell(name) or None
        if len(issues) >= MAX_ISSUES:
            break
        if kind is not None and day is not None:
            lines.append(line)
            rows.append(TransactionInput(type=kind, date=day, **values))
    if issues:
        raise ValidationFailed(issues[:MAX_ISSUES])
    if not rows:
        raise ValidationFailed([FieldIssue("csv", ErrorCode.REQUIRED, "The file has no rows.")])
    return CsvRows(lines, rows)
