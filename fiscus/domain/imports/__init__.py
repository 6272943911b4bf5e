"""Bank statements as files: pure parsers (bytes in, parsed lines and problems out), the
sign convention (into the account > 0), running-balance checks and dedupe keys."""

from fiscus.domain.imports.detect import MAX_FILE_BYTES, detect_format, parse_statement
from fiscus.domain.imports.fingerprint import base_key, dedupe_keys, normalized_description
from fiscus.domain.imports.generic import AmountSign, CsvMapping
from fiscus.domain.imports.model import (
    LineProblem,
    ParsedStatement,
    ProblemKind,
    StatementBalance,
    StatementFormat,
    StatementLine,
)

__all__ = [
    "MAX_FILE_BYTES",
    "AmountSign",
    "CsvMapping",
    "LineProblem",
    "ParsedStatement",
    "ProblemKind",
    "StatementBalance",
    "StatementFormat",
    "StatementLine",
    "base_key",
    "dedupe_keys",
    "detect_format",
    "normalized_description",
    "parse_statement",
]
