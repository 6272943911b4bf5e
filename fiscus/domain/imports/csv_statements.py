"""CSV statements: the banks' own layouts (detected from the header) and the shared reader
that turns rows into lines and problems. A bad row is reported with its line and reason and
the good rows are kept; a zero-amount row is skipped and reported as skipped."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.imports.balances import check_running_balances, ending_balance, newest_first
from fiscus.domain.imports.csv_rows import Columns, CsvRecord, records
from fiscus.domain.imports.model import (
    LineProblem,
    ParsedStatement,
    ProblemKind,
    RowError,
    StatementFormat,
    StatementLine,
)
from fiscus.domain.imports.values import parse_amount, parse_date

MAX_ROWS = 250_000
US_DATES = ("%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d")
ISO_DATES = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y")
SHORT_YEAR_DATES = ("%m/%d/%y", "%m/%d/%Y", "%Y-%m-%d")

RowReader = Callable[[Columns, Sequence[str], int], StatementLine]


@dataclass(frozen=True, slots=True)
class CsvLayout:
    format: StatementFormat
    required: tuple[str, ...]
    """Normalized header names that identify the layout (and must be present)."""
    read_row: RowReader


def _text(value: str) -> str | None:
    cleaned = " ".join(value.split())
    return cleaned or None


def _description(columns: Columns, cells: Sequence[str], name: str, label: str) -> str:
    found = _text(columns.cell(cells, name))
    if found is None:
        raise RowError("REQUIRED", label, f"{label} is empty.")
    return found


def _optional_amount(
    columns: Columns, cells: Sequence[str], name: str, label: str
) -> Decimal | None:
    raw = columns.cell(cells, name)
    return parse_amount(raw, field=label) if raw else None


def _chase_checking(columns: Columns, cells: Sequence[str], line: int) -> StatementLine:
    balance = _optional_amount(columns, cells, "balance", "Balance")
    return StatementLine(
        line=line,
        date=parse_date(columns.cell(cells, "posting date"), US_DATES, field="Posting Date"),
        amount=parse_amount(columns.cell(cells, "amount"), field="Amount"),
        description=_description(columns, cells, "description", "Description"),
        kind=_text(columns.cell(cells, "type")),
        check_number=_text(columns.cell(cells, "check or slip #")),
        balance=balance,
        # Chase leaves the balance of a pending line blank; it fills in once it posts.
        pending=balance is None,
    )


def _chase_card(columns: Columns, cells: Sequence[str], line: int) -> StatementLine:
    return StatementLine(
        line=line,
        date=parse_date(
            columns.cell(cells, "transaction date"), US_DATES, field="Transaction Date"
        ),
        posted_date=_optional_date(columns, cells, "post date", "Post Date", US_DATES),
        amount=parse_amount(columns.cell(cells, "amount"), field="Amount"),
        description=_description(columns, cells, "description", "Description"),
        memo=_text(columns.cell(cells, "memo")),
        kind=_text(columns.cell(cells, "type")),
        bank_category=_text(columns.cell(cells, "category")),
        card=_text(columns.cell(cells, "card")),
    )


def _discover(columns: Columns, cells: Sequence[str], line: int) -> StatementLine:
    # Discover writes purchases positive and payments negative: the opposite of ours.
    return StatementLine(
        line=line,
        date=parse_date(columns.cell(cells, "trans. date"), US_DATES, field="Trans. Date"),
        posted_date=_optional_date(columns, cells, "post date", "Post Date", US_DATES),
        amount=-parse_amount(columns.cell(cells, "amount"), field="Amount"),
        description=_description(columns, cells, "description", "Description"),
        bank_category=_text(columns.cell(cells, "category")),
    )


def _capital_one_card(columns: Columns, cells: Sequence[str], line: int) -> StatementLine:
    debit = _optional_amount(columns, cells, "debit", "Debit")
    credit = _optional_amount(columns, cells, "credit", "Credit")
    if debit is None and credit is None:
        raise RowError("REQUIRED", "Debit", "Both Debit and Credit are empty.")
    if debit and credit:
        raise RowError("INVALID", "Credit", "A line has a Debit or a Credit, not both.")
    # Unsigned columns: a debit (a purchase) takes money out, a credit (a payment) puts it in.
    amount = -abs(debit) if debit else abs(credit or Decimal(0))
    return StatementLine(
        line=line,
        date=parse_date(
            columns.cell(cells, "transaction date"), ISO_DATES, field="Transaction Date"
        ),
        posted_date=_optional_date(columns, cells, "posted date", "Posted Date", ISO_DATES),
        amount=amount,
        description=_description(columns, cells, "description", "Description"),
        bank_category=_text(columns.cell(cells, "category")),
        card=_text(columns.cell(cells, "card no.")),
    )


def _capital_one_360(columns: Columns, cells: Sequence[str], line: int) -> StatementLine:
    kind = _text(columns.cell(cells, "transaction type"))
    direction = {"credit": 1, "debit": -1}.get((kind or "").lower())
    if direction is None:
        raise RowError(
            "INVALID", "Transaction Type", f"{kind or 'An empty type'!r} is not Debit or Credit."
        )
    amount = abs(
        parse_amount(columns.cell(cells, "transaction amount"), field="Transaction Amount")
    )
    return StatementLine(
        line=line,
        date=parse_date(
            columns.cell(cells, "transaction date"), SHORT_YEAR_DATES, field="Transaction Date"
        ),
        amount=amount * direction,
        description=_description(
            columns, cells, "transaction description", "Transaction Description"
        ),
        kind=kind,
        balance=_optional_amount(columns, cells, "balance", "Balance"),
    )


def _optional_date(
    columns: Columns, cells: Sequence[str], name: str, label: str, formats: tuple[str, ...]
) -> date | None:
    raw = columns.cell(cells, name)
    return parse_date(raw, formats, field=label) if raw else None


LAYOUTS: tuple[CsvLayout, ...] = (
    CsvLayout(
        StatementFormat.CHASE_CHECKING,
        ("details", "posting date", "description", "amount", "type", "balance"),
        _chase_checking,
    ),
    CsvLayout(
        StatementFormat.CHASE_CARD,
        ("transaction date", "post date", "description", "category", "type", "amount"),
        _chase_card,
    ),
    CsvLayout(
        StatementFormat.DISCOVER_CARD,
        ("trans. date", "post date", "description", "amount", "category"),
        _discover,
    ),
    CsvLayout(
        StatementFormat.CAPITAL_ONE_CARD,
        ("transaction date", "posted date", "card no.", "description", "debit", "credit"),
        _capital_one_card,
    ),
    CsvLayout(
        StatementFormat.CAPITAL_ONE_360,
        (
            "account number",
            "transaction description",
            "transaction date",
            "transaction type",
            "transaction amount",
            "balance",
        ),
        _capital_one_360,
    ),
)
LAYOUT_BY_FORMAT = {layout.format: layout for layout in LAYOUTS}


def layout_of_header(cells: Sequence[str]) -> CsvLayout | None:
    columns = Columns(cells)
    for layout in LAYOUTS:
        if columns.has(*layout.required):
            return layout
    return None


def read_rows(
    format: StatementFormat,
    columns: Columns,
    rows: Iterable[CsvRecord],
    read_row: RowReader,
) -> ParsedStatement:
    """Lines and problems of the data rows (``rows`` iterates ``CsvRecord`` after the
    header); running balances checked when the file has them."""
    lines: list[StatementLine] = []
    problems: list[LineProblem] = []
    count = 0
    for record in rows:
        if record.error is not None:
            problems.append(
                LineProblem(record.line, ProblemKind.FAILED, "INVALID", None, record.error)
            )
            break
        count += 1
        if count > MAX_ROWS:
            problems.append(
                LineProblem(
                    record.line,
                    ProblemKind.FAILED,
                    "INVALID",
                    None,
                    f"A statement has at most {MAX_ROWS:,} rows; the rest was not read.",
                )
            )
            count -= 1
            break
        extra = columns.extra_cells(record.cells)
        if extra:
            problems.append(
                LineProblem(
                    record.line,
                    ProblemKind.FAILED,
                    "INVALID",
                    None,
                    f"The row has {extra} more field(s) than the header (an unquoted comma?).",
                )
            )
            continue
        try:
            line = read_row(columns, record.cells, record.line)
        except RowError as error:
            problems.append(
                LineProblem(record.line, ProblemKind.FAILED, error.code, error.field, error.message)
            )
            continue
        if line.amount == 0:
            problems.append(
                LineProblem(
                    record.line,
                    ProblemKind.SKIPPED,
                    "ZERO_AMOUNT",
                    None,
                    "A zero amount moves nothing: skipped.",
                )
            )
            continue
        lines.append(line)
    failed_lines = {p.line for p in problems if p.kind is ProblemKind.FAILED}
    problems.extend(check_running_balances(lines, failed_lines))
    problems.sort(key=lambda p: (p.line, p.kind.value))
    return ParsedStatement(
        format=format,
        lines=lines,
        problems=problems,
        rows=count,
        ending_balance=ending_balance(lines),
        newest_first=newest_first(lines),
    )


def parse_bank_csv(text: str, format: StatementFormat | None = None) -> ParsedStatement:
    """One of the banks' layouts: ``format``, or the one the header names."""
    rows = records(text)
    for record in rows:
        if record.error is not None:
            break
        layout = layout_of_header(record.cells)
        if format is not None:
            wanted = LAYOUT_BY_FORMAT[format]
            if layout is not wanted and not Columns(record.cells).has(*wanted.required):
                continue
            layout = wanted
        if layout is not None:
            return read_rows(layout.format, Columns(record.cells), rows, layout.read_row)
        if record.line > 20:
            break
    expected = (
        ", ".join(LAYOUT_BY_FORMAT[format].required)
        if format is not None
        else "the columns of a known bank"
    )
    raise ValidationFailed(
        [FieldIssue("file", "INVALID", f"No header row with {expected} was found.")]
    )
