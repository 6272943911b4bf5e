"""Checking prices a person enters or imports, before anything is written.

Every row is checked and every problem reported (up to ``MAX_ISSUES``), each naming its
row: ``prices[<index>].<field>`` for rows given through the API (0-based, as in the
input list), ``csv[<line>].<field>`` for a CSV file (the file's line number; the header is
line 1). One bad row rejects the whole batch.

Values are strings (as a CSV holds them) or Decimals; a float is refused, since it may
already have lost the exact value. Closes are quantized to the instrument's precision.
Rules: ``date`` is YYYY-MM-DD and not after today; ``close`` > 0; ``open``/``high``/``low``
> 0 when given, with ``low <= open, close <= high`` (each bound checked when present);
``volume`` a whole number >= 0; a day appears once per batch.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.marketdata import DailyBar, to_price

MAX_ROWS = 10_000
MAX_ISSUES = 50
CSV_COLUMNS = ("date", "close", "open", "high", "low", "volume")

RawValue = str | Decimal | int | float | None


@dataclass(frozen=True, slots=True)
class PriceRowInput:
    date: RawValue
    close: RawValue
    open: RawValue = None
    high: RawValue = None
    low: RawValue = None
    volume: RawValue = None


class _Row:
    def __init__(self, path: str, issues: list[FieldIssue]) -> None:
        self.path = path
        self.issues = issues
        self.failed = False

    def fail(self, field: str, code: str, message: str) -> None:
        self.failed = True
        self.issues.append(FieldIssue(f"{self.path}.{field}", code, message))

    def amount(
        self, field: str, value: RawValue, precision: int, *, required: bool
    ) -> Decimal | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, "REQUIRED", f"{field} is required.")
            return None
        if isinstance(value, float | bool):
            self.fail(field, "INVALID", f'{field} must be a decimal string such as "12.34".')
            return None
        try:
            exact = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except InvalidOperation:
            self.fail(field, "INVALID", f"{field} is not a number.")
            return None
        if not exact.is_finite() or exact <= 0:
            self.fail(field, "INVALID", f"{field} must be greater than 0.")
            return None
        return to_price(exact, precision)

    def day(self, value: RawValue, today: date) -> date | None:
        if not isinstance(value, str) or not value.strip():
            self.fail("date", "REQUIRED", "date is required (YYYY-MM-DD).")
            return None
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError:
            self.fail("date", "INVALID", "date must be a day written YYYY-MM-DD.")
            return None
        if len(value.strip()) != 10:
            self.fail("date", "INVALID", "date must be a day written YYYY-MM-DD.")
            return None
        if parsed > today:
            self.fail("date", "INVALID", "date is in the future.")
            return None
        return parsed

    def volume(self, value: RawValue) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = value.strip() if isinstance(value, str) else None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif text is not None and text.isdigit():
            number = int(text)
        else:
            self.fail("volume", "INVALID", "volume must be a whole number >= 0.")
            return None
        if number < 0 or number >= 2**63:
            self.fail("volume", "INVALID", "volume must be a whole number >= 0.")
            return None
        return number


def check_rows(
    rows: Sequence[PriceRowInput],
    paths: Sequence[str],
    *,
    precision: int,
    today: date,
    batch_field: str,
) -> list[DailyBar]:
    """The rows as bars, or ValidationFailed listing every problem found."""
    if not rows:
        raise ValidationFailed([FieldIssue(batch_field, "REQUIRED", "Give at least one price.")])
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(
            [FieldIssue(batch_field, "TOO_LONG", f"At most {MAX_ROWS} prices per batch.")]
        )
    issues: list[FieldIssue] = []
    bars: list[DailyBar] = []
    seen: dict[date, str] = {}
    for raw, path in zip(rows, paths, strict=True):
        if len(issues) >= MAX_ISSUES:
            break
        row = _Row(path, issues)
        day = row.day(raw.date, today)
        close = row.amount("close", raw.close, precision, required=True)
        open_ = row.amount("open", raw.open, precision, required=False)
        high = row.amount("high", raw.high, precision, required=False)
        low = row.amount("low", raw.low, precision, required=False)
        volume = row.volume(raw.volume)
        if day is not None and day in seen:
            row.fail("date", "INVALID", f"{day.isoformat()} appears twice (also {seen[day]}).")
        elif day is not None:
            seen[day] = path
        if high is not None:
            for name, value in (("close", close), ("open", open_), ("low", low)):
                if value is not None and value > high:
                    row.fail("high", "INVALID", f"high is below {name}.")
                    break
        if low is not None:
            for name, value in (("close", close), ("open", open_)):
                if value is not None and value < low:
                    row.fail("low", "INVALID", f"low is above {name}.")
                    break
        if not row.failed and day is not None and close is not None:
            bars.append(DailyBar(day, close, open_, high, low, volume))
    if issues:
        raise ValidationFailed(issues[:MAX_ISSUES])
    return bars


def api_rows(rows: Sequence[PriceRowInput], *, precision: int, today: date) -> list[DailyBar]:
    return check_rows(
        rows,
        [f"prices[{i}]" for i in range(len(rows))],
        precision=precision,
        today=today,
        batch_field="prices",
    )


def parse_csv(text: str) -> tuple[list[PriceRowInput], list[str]]:
    """Rows of ``date,close[,open,high,low,volume]`` after a header naming those columns
    (any order, case-insensitive; a UTF-8 BOM and CRLF line ends are fine), with the path
    of each (its line number). Blocking: call it through ``asyncio.to_thread``."""
    body = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(body, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ValidationFailed([FieldIssue("csv", "REQUIRED", "The CSV is empty.")]) from None
    unknown = [h for h in header if h not in CSV_COLUMNS]
    missing = [c for c in ("date", "close") if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise ValidationFailed(
            [
                FieldIssue(
                    "csv[1]",
                    "INVALID",
                    "The header must name the columns date,close and optionally "
                    "open,high,low,volume, each once.",
                )
            ]
        )
    rows: list[PriceRowInput] = []
    paths: list[str] = []
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        line = reader.line_num
        if len(rows) >= MAX_ROWS:
            raise ValidationFailed(
                [FieldIssue("csv", "TOO_LONG", f"At most {MAX_ROWS} prices per file.")]
            )
        if len(record) != len(header):
            raise ValidationFailed(
                [
                    FieldIssue(
                        f"csv[{line}]",
                        "INVALID",
                        f"Line {line} has {len(record)} values; the header has {len(header)}.",
                    )
                ]
            )
        values = dict(zip(header, record, strict=True))
        rows.append(PriceRowInput(**values))
        paths.append(f"csv[{line}]")
    return rows, paths
