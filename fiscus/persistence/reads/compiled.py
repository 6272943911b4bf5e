"""Read statements written with SQLAlchemy Core, compiled once, run on asyncpg directly.

A ``ReadQuery`` is built at import time (or once per shape) from a Core ``select`` with
named ``bindparam``s; it keeps the PostgreSQL text with ``$n`` placeholders and the order
of the parameter names. asyncpg prepares each text once per connection and caches it, so
a hot read costs no SQL compilation, no cache-key generation and no ORM row processing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql.elements import ClauseElement

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class ReadQuery:
    sql: str
    params: tuple[str, ...]

    @classmethod
    def of(cls, statement: ClauseElement) -> ReadQuery:
        compiled = statement.compile(dialect=_DIALECT)
        names = getattr(compiled, "positiontup", None) or ()
        return cls(str(compiled), tuple(names))

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        missing = [name for name in self.params if name not in values]
        if missing:
            raise TypeError(f"missing query parameters: {', '.join(missing)}")
        return [values[name] for name in self.params]
