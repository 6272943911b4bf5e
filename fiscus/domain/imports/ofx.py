"""OFX 1.x (SGML: leaf elements are not closed), OFX 2.x (XML) and QFX (either, with Intuit
tags), read by one tolerant tokenizer: header variants, cp1252 or UTF-8 (from the header's
CHARSET/ENCODING or the XML declaration), character entities, CDATA sections, comments,
unknown elements, lower-case tags.

Dates are taken as written: ``20260929213000[-4:EDT]`` is 2026-09-29, whatever the time
zone, because that is the day the bank's statement shows. TRNAMT is signed from the
account holder's side (negative: money out), which is the import's convention for bank and
card statements alike.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from fiscus.domain.errors import FieldIssue, ValidationFailed
from fiscus.domain.imports.balances import check_running_balances, newest_first
from fiscus.domain.imports.model import (
    LineProblem,
    ParsedStatement,
    ProblemKind,
    RowError,
    StatementBalance,
    StatementFormat,
    StatementLine,
)
from fiscus.domain.imports.values import parse_amount

MAX_TRANSACTIONS = 250_000
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9.\-_]*)\s*>")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_SKIPPED = re.compile(r"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>]*>", re.DOTALL | re.IGNORECASE)
_OFX_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})")
_CHARSETS = {
    "1252": "cp1252",
    "WINDOWS-1252": "cp1252",
    "ISO-8859-1": "latin-1",
    "8859-1": "latin-1",
    "LATIN1": "latin-1",
    "NONE": "cp1252",
}


@dataclass
class Element:
    name: str
    line: int
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def find_all(self, name: str) -> list[Element]:
        found: list[Element] = []
        stack = list(reversed(self.children))
        while stack:
            element = stack.pop()
            if element.name == name:
                found.append(element)
            stack.extend(reversed(element.children))
        return found

    def first(self, *path: str) -> Element | None:
        """The first element at ``path`` below this one (each step searched in depth)."""
        current: Element | None = self
        for name in path:
            if current is None:
                return None
            matches = current.find_all(name)
            current = matches[0] if matches else None
        return current

    def value(self, *path: str) -> str | None:
        found = self.first(*path)
        if found is None:
            return None
        return found.text or None


def looks_like_ofx(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    return head.startswith((b"OFXHEADER", b"<?XML", b"<OFX")) and b"<OFX" in data[:65536].upper()


def encoding_of(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    head = data[:2048].decode("latin-1")
    declared = re.search(r"<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)", head, re.IGNORECASE)
    if declared:
        return _CHARSETS.get(declared[1].upper(), declared[1].lower())
    encoding = re.search(r"^\s*ENCODING\s*:\s*([\w-]+)", head, re.IGNORECASE | re.MULTILINE)
    if encoding and encoding[1].upper().replace("-", "") == "UTF8":
        return "utf-8"
    charset = re.search(r"^\s*CHARSET\s*:\s*([\w-]+)", head, re.IGNORECASE | re.MULTILINE)
    if charset:
        return _CHARSETS.get(charset[1].upper(), "cp1252")
    return "utf-8"


def decode(data: bytes) -> str:
    text: str | None = None
    for encoding in (encoding_of(data), "utf-8", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    assert text is not None  # latin-1 decodes every byte
    return text.removeprefix("\ufeff")


def _clean(raw: str) -> str:
    return " ".join(html.unescape(raw).replace("\u00a0", " ").split())


def _blank_out(match: re.Match[str]) -> str:
    """Removed markup keeps its line breaks, so line numbers still match the file."""
    return "\n" * match[0].count("\n")


def parse_tree(text: str) -> Element:
    start = text.upper().find("<OFX>")
    if start < 0:
        raise ValidationFailed([FieldIssue("file", "INVALID", "No <OFX> element in the file.")])
    first_line = text.count("\n", 0, start) + 1
    body = _CDATA.sub(lambda m: html.escape(m[1], quote=False), text[start:])
    body = _SKIPPED.sub(_blank_out, body)
    root = Element("", 0)
    stack = [root]
    line, scanned, previous_end = first_line, 0, 0
    for match in _TAG.finditer(body):
        between = body[previous_end : match.start()]
        top = stack[-1]
        if top is not root and not top.children and between.strip():
            top.text = _clean(top.text + between)
        previous_end = match.end()
        line += body.count("\n", scanned, match.start())
        scanned = match.start()
        name = match[2].upper()
        if match[1]:  # a closing tag closes every unclosed leaf above its element
            if any(element.name == name for element in stack[1:]):
                while stack[-1].name != name:
                    stack.pop()
                stack.pop()
            continue
        if top is not root and top.text:  # an SGML leaf ends where the next tag begins
            stack.pop()
        element = Element(name, line)
        stack[-1].children.append(element)
        stack.append(element)
    top = stack[-1]
    tail = body[previous_end:]
    if top is not root and not top.children and tail.strip():
        top.text = _clean(top.text + tail)
    return root


def _date(raw: str | None, field: str) -> date:
    if not raw:
        raise RowError("REQUIRED", field, f"{field} is missing.")
    match = _OFX_DATE.match(raw)
    try:
        if match is None:
            raise ValueError(raw)
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise RowError("INVALID", field, f"{raw!r} is not an OFX date (YYYYMMDD...).") from None


def _ofx_amount(raw: str | None, field: str) -> Decimal:
    if not raw:
        raise RowError("REQUIRED", field, f"{field} is missing.")
    separator = "," if "," in raw and "." not in raw else "."
    return parse_amount(raw, decimal_separator=separator, field=field)


def _transaction(element: Element, currency: str | None) -> StatementLine:
    amount = _ofx_amount(element.value("TRNAMT"), "TRNAMT")
    posted = _date(element.value("DTPOSTED"), "DTPOSTED")
    user = element.value("DTUSER")
    name = element.value("NAME") or element.value("PAYEE", "NAME")
    memo = element.value("MEMO")
    description = name or memo
    if description is None:
        raise RowError("REQUIRED", "NAME", "The transaction has neither NAME nor MEMO.")
    line_currency = element.value("CURRENCY", "CURSYM") or element.value("ORIGCURRENCY", "CURSYM")
    return StatementLine(
        line=element.line,
        date=_date(user, "DTUSER") if user else posted,
        posted_date=posted,
        amount=amount,
        description=description,
        memo=memo if memo and memo != description else None,
        payee=name,
        external_id=element.value("FITID"),
        kind=element.value("TRNTYPE"),
        check_number=element.value("CHECKNUM"),
        currency=(line_currency or currency or None),
    )


def parse_ofx(data: bytes, *, account_number: str | None = None) -> ParsedStatement:
    root = parse_tree(decode(data))
    statements = root.find_all("STMTRS") + root.find_all("CCSTMTRS")
    if not statements:
        raise ValidationFailed(
            [
                FieldIssue(
                    "file",
                    "INVALID",
                    "The OFX file holds no bank or card statement (STMTRS or CCSTMTRS).",
                )
            ]
        )
    problems: list[LineProblem] = []
    chosen = statements[0]
    if account_number is not None:
        wanted = [s for s in statements if (s.value("ACCTID") or "").endswith(account_number)]
        if not wanted:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "accountNumber",
                        "NOT_FOUND",
                        f"No statement for an account ending in {account_number} in this file.",
                    )
                ]
            )
        chosen = wanted[0]
    elif len(statements) > 1:
        others = ", ".join(_masked(s.value("ACCTID")) for s in statements[1:])
        problems.append(
            LineProblem(
                chosen.line,
                ProblemKind.WARNING,
                "INVALID",
                "accountNumber",
                f"The file holds {len(statements)} statements; imported the first "
                f"({_masked(chosen.value('ACCTID'))}), not {others}.",
            )
        )
    currency = (chosen.value("CURDEF") or "").upper() or None
    lines: list[StatementLine] = []
    rows = 0
    for element in chosen.find_all("STMTTRN"):
        rows += 1
        if rows > MAX_TRANSACTIONS:
            problems.append(
                LineProblem(
                    element.line,
                    ProblemKind.FAILED,
                    "INVALID",
                    None,
                    f"A statement has at most {MAX_TRANSACTIONS:,} transactions.",
                )
            )
            rows -= 1
            break
        try:
            line = _transaction(element, currency)
        except RowError as error:
            problems.append(
                LineProblem(
                    element.line, ProblemKind.FAILED, error.code, error.field, error.message
                )
            )
            continue
        if line.amount == 0:
            problems.append(
                LineProblem(
                    element.line,
                    ProblemKind.SKIPPED,
                    "ZERO_AMOUNT",
                    None,
                    "A zero amount moves nothing: skipped.",
                )
            )
            continue
        lines.append(line)
    problems.extend(check_running_balances(lines))
    problems.sort(key=lambda p: (p.line, p.kind.value))
    return ParsedStatement(
        format=StatementFormat.OFX,
        lines=lines,
        problems=problems,
        rows=rows,
        currency=currency,
        account_number=_masked(chosen.value("ACCTID")),
        ending_balance=_ledger_balance(chosen),
        newest_first=newest_first(lines),
    )


def _ledger_balance(statement: Element) -> StatementBalance | None:
    balance = statement.first("LEDGERBAL")
    if balance is None:
        return None
    try:
        amount = _ofx_amount(balance.value("BALAMT"), "BALAMT")
        as_of = _date(balance.value("DTASOF"), "DTASOF")
    except RowError:
        return None
    return StatementBalance(amount, as_of)


def _masked(account: str | None) -> str:
    if not account:
        return "an unnamed account"
    return f"…{account[-4:]}"
