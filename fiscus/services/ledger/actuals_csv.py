"""Parsing an actuals CSV (pure; run off the event loop): ``period`` (YYYY-MM or
YYYY-MM-DD), ``account`` (code), ``amount`` (signed: debit > 0), optional ``currency``.
A header row names the columns (any order, any case); a BOM and CRLF line ends are fine.
Problems name the file's line: ``csv[<line>].<field>``."""

from __future__ import annotations

import calendar
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.ledger.entries import AMOUNT_DIGITS, AMOUNT_SCALE

REQUIRED = ("period", "account", "amount")
MAX_ROWS = 50_000
MAX_ISSUES = 50
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_LIMIT = Decimal(10) ** (AMOUNT_DIGITS - AMOUNT_SCALE)


@dataclass(frozen=True, slots=True)
class ActualsRow:
    line: int
    period: str
    """As written, normalized: YYYY-MM or YYYY-MM-DD."""
    period_end: date
    code: str
    amount: Decimal
    currency: str | None


@dataclass(frozen=True, slots=True)
class ActualsFile:
    rows: list[ActualsRow]
    fingerprint: str
    """SHA-256 of the rows as parsed (line ends, BOM, column order and case do not count)."""


def _period(raw: str) -> tuple[str, date] | None:
    text = raw.strip()
    month = _MONTH.match(text)
    try:
        if month:
            year, number = int(month[1]), int(month[2])
            end = date(year, number, calendar.monthrange(year, number)[1])
            return f"{year:04d}-{number:02d}", end
        day = date.fromisoformat(text)
    except ValueError:
        return None
    if len(text) != 10:
        return None
    return day.isoformat(), day


def _amount(raw: str) -> Decimal | None:
    try:
        amount = Decimal(raw.strip().replace(" ", ""))
    except InvalidOperation:
        return None
    if not amount.is_finite() or abs(amount) >= _LIMIT:
        return None
    if amount.as_tuple().exponent < -AMOUNT_SCALE:  # type: ignore[operator]
        return None
    return amount


def parse_actuals(text: str) -> ActualsFile:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next(reader, None)
    if header is None:
        raise ValidationFailed([FieldIssue("csv", "REQUIRED", "The file is empty.")])
    columns = {name.strip().lower(): i for i, name in enumerate(header)}
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise ValidationFailed(
            [
                FieldIssue("csv[1]", "REQUIRED", f"The header needs a column named {name!r}.")
                for name in missing
            ]
        )
    rows: list[ActualsRow] = []
    issues: list[FieldIssue] = []
    seen: dict[tuple[str, str], int] = {}
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) >= MAX_ROWS:
            issues.append(FieldIssue(f"csv[{line}]", "INVALID", f"At most {MAX_ROWS} rows."))
            break

        def cell(name: str, record: list[str] = record) -> str:
            index = columns.get(name)
            return record[index].strip() if index is not None and index < len(record) else ""

        period = _period(cell("period"))
        code = cell("account")
        amount = _amount(cell("amount"))
        currency = cell("currency").upper() or None
        if period is None:
            issues.append(
                FieldIssue(f"csv[{line}].period", "INVALID", "A period is YYYY-MM or YYYY-MM-DD.")
            )
        if not code:
            issues.append(FieldIssue(f"csv[{line}].account", "REQUIRED", "An account code."))
        if amount is None:
            issues.append(
                FieldIssue(
                    f"csv[{line}].amount",
                    "INVALID",
                    f"A decimal amount with at most {AMOUNT_SCALE} decimal places.",
                )
            )
        if currency is not None and not re.fullmatch(r"[A-Z]{3}", currency):
            issues.append(
                FieldIssue(f"csv[{line}].currency", "INVALID", "A three-letter currency code.")
            )
        if period is not None and code:
            earlier = seen.setdefault((period[0], code), line)
            if earlier != line:
                issues.append(
                    FieldIssue(
                        f"csv[{line}].account",
                        "INVALID",
                        f"Account {code} appears twice for {period[0]} (also on line {earlier}).",
                    )
                )
        if len(issues) >= MAX_ISSUES:
            break
        if period is not None and code and amount is not None:
            rows.append(ActualsRow(line, period[0], period[1], code, amount, currency))
    if issues:
        raise ValidationFailed(issues[:MAX_ISSUES])
    if not rows:
        raise ValidationFailed([FieldIssue("csv", "REQUIRED", "The file has no rows.")])
    canonical = "\n".join(
        f"{r.period},{r.code},{r.amount.normalize()},{r.currency or ''}"
        for r in sorted(rows, key=lambda r: (r.period, r.code))
    )
    return ActualsFile(rows, hashlib.sha256(canonical.encode()).hexdigest())
