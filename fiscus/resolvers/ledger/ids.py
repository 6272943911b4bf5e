"""Global ids of ledger inputs. An id that is malformed or names another type becomes the
nil UUID, which no account or entry has: the service then reports the row as NOT_FOUND,
exactly like another organization's id."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from fiscus.schema import ledger as types
from fiscus.schema.relay import parse_global_id
from fiscus.services.ledger.posting import LineInput

NIL = UUID(int=0)


def account_id(raw: str, field: str = "accountId") -> UUID:
    return parse_global_id(raw, "Account", field=field) or NIL


def entry_id(raw: str) -> UUID:
    return parse_global_id(raw, "JournalEntry", field="entryId") or NIL


def tags(raw: Sequence[types.TagInput] | None) -> dict[str, str]:
    return {t.key: t.value for t in raw or []}


def lines(raw: Sequence[types.JournalLineInput]) -> list[LineInput]:
    return [
        LineInput(
            account_id(line.account_id),
            line.amount,
            line.currency,
            tags(line.dimensions),
            line.counterparty,
            line.memo,
            line.rate,
        )
        for line in raw
    ]
