"""Reading a bank's CSV as it really is: a BOM, CRLF or CR line ends, cp1252 instead of
UTF-8, padded or quoted header names, trailing commas, quoted commas and doubled quotes,
blank lines, preamble lines before the header. Each record keeps the line it starts on."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

MAX_FIELD = 10_000


@dataclass(frozen=True, slots=True)
class CsvRecord:
    line: int
    cells: list[str]
    error: str | None = None
    """Set on the last record when the rest of the file cannot be read (an unterminated
    quote, a giant field)."""


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252 (what US banks' exports are when
    they are not UTF-8), else Latin-1 (which decodes any byte)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def normalize_header(name: str) -> str:
    """``' Posting Date '`` -> ``'posting date'``: trimmed, lower-case, inner spaces single,
    a stray BOM or quotes removed."""
    return " ".join(name.replace("\ufeff", "").strip().strip('"').split()).lower()


def records(text: str, *, delimiter: str = ",") -> Iterator[CsvRecord]:
    """Non-blank records with the 1-based line each starts on."""
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    previous_end = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            # An unterminated quote or a giant field: the rest of the file is unreadable.
            yield CsvRecord(previous_end + 1, [], f"The file cannot be read from here on: {error}.")
            return
        start, previous_end = previous_end + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield CsvRecord(start, cells)


class Columns:
    """A header's columns by normalized name, and the cells of a row by column."""

    def __init__(self, header: Sequence[str]) -> None:
        self.names = [normalize_header(h) for h in header]
        while self.names and not self.names[-1]:  # a trailing comma on the header
            self.names.pop()
        self.index = {name: i for i, name in enumerate(self.names) if name}

    def has(self, *names: str) -> bool:
        return all(name in self.index for name in names)

    def cell(self, cells: Sequence[str], name: str) -> str:
        i = self.index.get(name)
        if i is None or i >= len(cells):
            return ""
        return cells[i].strip()

    def extra_cells(self, cells: Sequence[str]) -> int:
        """Non-empty cells past the header's last column (trailing commas are fine)."""
        return sum(1 for cell in cells[len(self.names) :] if cell.strip())
