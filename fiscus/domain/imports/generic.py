"""A CSV of any bank, read through a saved column mapping: which columns hold the date,
the amount (one signed column, or unsigned debit and credit columns), the description and
optional payee, memo, posted date, running balance and the bank's own reference; the date
format, the decimal separator and the sign convention."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.imports.csv_rows import Columns, normalize_header, records
from fiscus.domain.imports.csv_statements import read_rows
from fiscus.domain.imports.model import ParsedStatement, RowError, StatementFormat, StatementLine
from fiscus.domain.imports.values import check_date_format, parse_amount, parse_date

MAX_COLUMN_NAME = 100
DELIMITERS = (",", ";", "\t", "|")


class AmountSign(enum.StrEnum):
    INFLOW_POSITIVE = "inflow_positive"
    """Money into the account is positive (most banks' checking exports)."""
    OUTFLOW_POSITIVE = "outflow_positive"
    """Money out is positive (Discover-like card exports): amounts are negated."""


@dataclass(frozen=True, slots=True)
class CsvMapping:
    """Columns are named by their header text (any case, spaces trimmed) or, without a
    header, by 1-based position (``"3"``)."""

    date_column: str
    description_column: str
    amount_column: str | None = None
    debit_column: str | None = None
    """Unsigned money out (a signed value counts by its size)."""
    credit_column: str | None = None
    """Unsigned money in."""
    date_format: str = "%Y-%m-%d"
    decimal_separator: str = "."
    amount_sign: AmountSign = AmountSign.INFLOW_POSITIVE
    delimiter: str = ","
    has_header: bool = True
    skip_rows: int = 0
    """Lines before the header (or before the first row, without a header)."""
    payee_column: str | None = None
    memo_column: str | None = None
    posted_date_column: str | None = None
    balance_column: str | None = None
    reference_column: str | None = None
    """The bank's id for each line: when set, it is the dedupe key (like an OFX FITID)."""

    def check(self, prefix: str = "mapping") -> CsvMapping:
        issues: list[FieldIssue] = []

        def issue(name: str, message: str, code: str = "INVALID") -> None:
            issues.append(FieldIssue(f"{prefix}.{name}", code, message))

        for name, value in self.columns().items():
            if value is not None and (not value.strip() or len(value) > MAX_COLUMN_NAME):
                issue(name, f"A column is named by 1-{MAX_COLUMN_NAME} characters.")
            elif value is not None and not self.has_header and not _position(value):
                issue(name, "Without a header, name a column by its position (1, 2, ...).")
        if not self.date_column.strip():
            issue("dateColumn", "The date column is required.", "REQUIRED")
        if not self.description_column.strip():
            issue("descriptionColumn", "The description column is required.", "REQUIRED")
        single = self.amount_column is not None
        split = self.debit_column is not None or self.credit_column is not None
        if single == split:
            issue(
                "amountColumn",
                "Map either one amount column, or a debit and a credit column.",
                "REQUIRED" if not single else "INVALID",
            )
        elif split and (self.debit_column is None or self.credit_column is None):
            issue("creditColumn", "Map both the debit and the credit column.", "REQUIRED")
        problem = check_date_format(self.date_format)
        if problem:
            issue("dateFormat", problem)
        if self.decimal_separator not in (".", ","):
            issue("decimalSeparator", "The decimal separator is . or ,")
        if self.delimiter not in DELIMITERS:
            issue("delimiter", "The delimiter is one of , ; | or a tab.")
        if not 0 <= self.skip_rows <= 100:
            issue("skipRows", "Skip 0-100 lines.")
        if issues:
            raise ValidationFailed(issues)
        return self

    def columns(self) -> dict[str, str | None]:
        return {
            "dateColumn": self.date_column,
            "descriptionColumn": self.description_column,
            "amountColumn": self.amount_column,
            "debitColumn": self.debit_column,
            "creditColumn": self.credit_column,
            "payeeColumn": self.payee_column,
            "memoColumn": self.memo_column,
            "postedDateColumn": self.posted_date_column,
            "balanceColumn": self.balance_column,
            "referenceColumn": self.reference_column,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "date_column": self.date_column,
            "description_column": self.description_column,
            "amount_column": self.amount_column,
            "debit_column": self.debit_column,
            "credit_column": self.credit_column,
            "date_format": self.date_format,
            "decimal_separator": self.decimal_separator,
            "amount_sign": self.amount_sign.value,
            "delimiter": self.delimiter,
            "has_header": self.has_header,
            "skip_rows": self.skip_rows,
            "payee_column": self.payee_column,
            "memo_column": self.memo_column,
            "posted_date_column": self.posted_date_column,
            "balance_column": self.balance_column,
            "reference_column": self.reference_column,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CsvMapping:
        values = dict(raw)
        values["amount_sign"] = AmountSign(values.get("amount_sign", "inflow_positive"))
        return cls(**values)


def _position(value: str) -> int | None:
    text = value.strip().lstrip("#")
    return int(text) if text.isdigit() and 0 < int(text) <= 1000 else None


def _key(mapping: CsvMapping, value: str | None) -> str | None:
    if value is None:
        return None
    if not mapping.has_header:
        return str(_position(value))
    return normalize_header(value)


class _MappedRow:
    def __init__(self, mapping: CsvMapping) -> None:
        self.mapping = mapping
        self.formats = (mapping.date_format,)
        self.keys = {name: _key(mapping, value) for name, value in mapping.columns().items()}

    def cell(self, columns: Columns, cells: Sequence[str], name: str) -> str:
        key = self.keys[name]
        return columns.cell(cells, key) if key is not None else ""

    def amount(self, columns: Columns, cells: Sequence[str]) -> Decimal:
        m = self.mapping
        if m.amount_column is not None:
            raw = self.cell(columns, cells, "amountColumn")
            value = parse_amount(raw, decimal_separator=m.decimal_separator, field=m.amount_column)
            return -value if m.amount_sign is AmountSign.OUTFLOW_POSITIVE else value
        debit_raw = self.cell(columns, cells, "debitColumn")
        credit_raw = self.cell(columns, cells, "creditColumn")
        if not debit_raw and not credit_raw:
            raise RowError("REQUIRED", m.debit_column, "Both the debit and the credit are empty.")
        debit = (
            parse_amount(
                debit_raw, decimal_separator=m.decimal_separator, field=m.debit_column or "debit"
            )
            if debit_raw
            else Decimal(0)
        )
        credit = (
            parse_amount(
                credit_raw, decimal_separator=m.decimal_separator, field=m.credit_column or "credit"
            )
            if credit_raw
            else Decimal(0)
        )
        if debit and credit:
            raise RowError("INVALID", m.credit_column, "A line has a debit or a credit, not both.")
        return abs(credit) - abs(debit)

    def __call__(self, columns: Columns, cells: Sequence[str], line: int) -> StatementLine:
        m = self.mapping
        description = " ".join(self.cell(columns, cells, "descriptionColumn").split())
        if not description:
            raise RowError("REQUIRED", m.description_column, "The description is empty.")
        posted_raw = self.cell(columns, cells, "postedDateColumn")
        balance_raw = self.cell(columns, cells, "balanceColumn")
        return StatementLine(
            line=line,
            date=parse_date(
                self.cell(columns, cells, "dateColumn"), self.formats, field=m.date_column
            ),
            posted_date=(
                parse_date(posted_raw, self.formats, field=m.posted_date_column or "posted")
                if posted_raw
                else None
            ),
            amount=self.amount(columns, cells),
            description=description,
            payee=" ".join(self.cell(columns, cells, "payeeColumn").split()) or None,
            memo=" ".join(self.cell(columns, cells, "memoColumn").split()) or None,
            external_id=self.cell(columns, cells, "referenceColumn") or None,
            balance=(
                parse_amount(
                    balance_raw,
                    decimal_separator=m.decimal_separator,
                    field=m.balance_column or "balance",
                )
                if balance_raw
                else None
            ),
        )


def parse_generic_csv(text: str, mapping: CsvMapping) -> ParsedStatement:
    mapping.check()
    rows = records(text, delimiter=mapping.delimiter)
    for _ in range(mapping.skip_rows):
        if next(rows, None) is None:
            break
    if mapping.has_header:
        header = next(rows, None)
        if header is None or header.error is not None:
            raise ValidationFailed([FieldIssue("file", "INVALID", "The file has no header row.")])
        columns = Columns(header.cells)
        missing = [
            value
            for value in mapping.columns().values()
            if value is not None and normalize_header(value) not in columns.index
        ]
        if missing:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "mapping",
                        "NOT_FOUND",
                        f"The header has no column {name!r} (it has: "
                        + ", ".join(repr(n) for n in columns.names if n)
                        + ").",
                    )
                    for name in missing
                ]
            )
    else:
        columns = Columns([str(i) for i in range(1, 1001)])
    return read_rows(StatementFormat.GENERIC_CSV, columns, rows, _MappedRow(mapping))
