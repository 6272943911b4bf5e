"""Dedupe keys: what makes re-importing an overlapping file create nothing twice.

A line the bank gave an id (OFX FITID, a mapped reference column, Plaid's transaction_id)
is keyed by that id. A CSV line carries none, so it is keyed by a fingerprint of what the
bank wrote about it -- date, posted date, amount and normalized description -- **plus its
occurrence number among identical lines of the same file**: two identical coffees on one
day are ``...:1`` and ``...:2``, both imported; a file repeating both creates neither again,
and a later file with three creates exactly one. The key never includes the running balance
(a pending line's is blank until it posts), the row's position, the card column (exports
with and without it must agree) or the file. Keys are unique per ledger account (the
database's unique key is (organization, account, key)).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from fiscus.domain.imports.model import StatementLine

_QUANTUM = Decimal("0.0001")


def normalized_description(text: str) -> str:
    return " ".join(text.upper().split())


def base_key(line: StatementLine) -> str:
    if line.external_id:
        return "id:" + " ".join(line.external_id.split())[:180]
    canonical = "|".join(
        (
            line.date.isoformat(),
            line.posted_date.isoformat() if line.posted_date else "",
            format(line.amount.quantize(_QUANTUM), "f"),
            normalized_description(line.description),
        )
    )
    return "fp:" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def dedupe_keys(lines: Sequence[StatementLine]) -> list[str]:
    """One key per line, in order: its base key and its occurrence number in the file."""
    seen: Counter[str] = Counter()
    keys: list[str] = []
    for line in lines:
        base = base_key(line)
        seen[base] += 1
        keys.append(f"{base}:{seen[base]}")
    return keys
