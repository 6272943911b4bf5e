"""Amounts and dates as banks write them. Amounts are Decimal, never float, and strict:
``2,315.64``, ``50``, ``-12.30``, ``(12.30)``, ``$1,234.56``, ``-$5.00`` and ``12.30-`` are
read; ``12.3O`` is an error (a letter O is not a zero), and so are misplaced separators."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from fiscus.domain.imports.model import RowError

AMOUNT_SCALE = 4
"""The ledger's NUMERIC(20, 4): at most four decimal places."""
_LIMIT = Decimal(10) ** 16
_CURRENCY_SYMBOLS = "$€£¥"
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_PATTERNS: dict[str, re.Pattern[str]] = {
    ".": re.compile(r"^(?:(\d{1,3}(?:[,' ]\d{3})+)|(\d*))(?:\.(\d+))?$"),
    ",": re.compile(r"^(?:(\d{1,3}(?:[.' ]\d{3})+)|(\d*))(?:,(\d+))?$"),
}
DATE_DIRECTIVES = frozenset("dmyYbB")
"""strptime directives a saved column mapping may use (with any literal separators)."""


_PLAIN = re.compile(r"-?\d{1,16}(?:\.\d{1,4})?")


def parse_amount(raw: str, *, decimal_separator: str = ".", field: str = "amount") -> Decimal:
    """A signed Decimal; raises ``RowError`` naming ``field`` when ``raw`` is not an amount."""
    if decimal_separator == "." and _PLAIN.fullmatch(raw):
        return Decimal(raw)  # the common case: "-12.30"
    text = _SPACES.sub(" ", raw).strip()
    if not text:
        raise RowError("REQUIRED", field, "The amount is empty.")
    negative = False
    signs = 0
    if text.startswith("(") and text.endswith(")"):
        negative, signs, text = True, 1, text[1:-1].strip()
    if text.endswith("-"):
        negative, signs, text = True, signs + 1, text[:-1].strip()
    for _ in range(2):  # a sign and a currency symbol, in either order
        if text[:1] and text[0] in "+-":
            negative ^= text[0] == "-"
            signs += 1
            text = text[1:].strip()
        if text[:1] and text[0] in _CURRENCY_SYMBOLS:
            text = text[1:].strip()
    if text[-1:] and text[-1] in _CURRENCY_SYMBOLS:
        text = text[:-1].strip()
    if signs > 1:
        raise RowError("INVALID", field, f"{raw.strip()!r} is not an amount.")
    pattern = _PATTERNS.get(decimal_separator)
    if pattern is None:
        raise ValueError(f"unsupported decimal separator {decimal_separator!r}")
    match = pattern.match(text)
    if match is None or not (match[1] or match[2] or match[3]):
        raise RowError("INVALID", field, f"{raw.strip()!r} is not an amount.")
    whole = re.sub(r"\D", "", match[1] or match[2] or "") or "0"
    fraction = match[3] or ""
    if len(fraction) > AMOUNT_SCALE:
        raise RowError(
            "INVALID", field, f"{raw.strip()!r} has more than {AMOUNT_SCALE} decimal places."
        )
    try:
        amount = Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:  # pragma: no cover - the pattern admits digits only
        raise RowError("INVALID", field, f"{raw.strip()!r} is not an amount.") from None
    if amount >= _LIMIT:
        raise RowError("INVALID", field, f"{raw.strip()!r} is too large.")
    return -amount if negative else amount


def parse_date(raw: str, formats: tuple[str, ...], *, field: str = "date") -> date:
    text = raw.strip()
    if not text:
        raise RowError("REQUIRED", field, "The date is empty.")
    found = _date_of(text, formats)
    if found is None:
        shown = " or ".join(_human(f) for f in formats)
        raise RowError("INVALID", field, f"{text!r} is not a date ({shown}).")
    return found


@functools.lru_cache(maxsize=8192)
def _date_of(text: str, formats: tuple[str, ...]) -> date | None:
    """Statements repeat a few hundred dates over thousands of lines: parse each once."""
    for pattern in formats:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def check_date_format(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable date format, or None. Only day, month and year
    directives: a time of day would make the date depend on a time zone."""
    directives = re.findall(r"%(.)", pattern)
    if not directives:
        return "A date format needs directives such as %d, %m and %Y."
    unknown = sorted({d for d in directives if d not in DATE_DIRECTIVES})
    if unknown:
        return "Only %d, %m, %b, %B, %y and %Y are allowed, not " + ", ".join(
            f"%{d}" for d in unknown
        )
    if not any(d in "yY" for d in directives) or not any(d in "mbB" for d in directives):
        return "A date format needs a year and a month."
    if "d" not in directives:
        return "A date format needs the day (%d)."
    return None


def _human(pattern: str) -> str:
    return (
        pattern.replace("%Y", "YYYY")
        .replace("%y", "YY")
        .replace("%m", "MM")
        .replace("%d", "DD")
        .replace("%b", "Mon")
        .replace("%B", "Month")
    )
