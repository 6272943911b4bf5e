"""Counting SQL statements per request: the guard against N+1 queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class StatementLog:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


_current: ContextVar[StatementLog | None] = ContextVar("fiscus_statement_log", default=None)


def note_statement(sql: str) -> None:
    """Count a statement sent outside SQLAlchemy (the asyncpg read path)."""
    log = _current.get()
    if log is not None:
        log.statements.append(sql)


def install_statement_counter(engine: AsyncEngine) -> None:
    def before_cursor_execute(*args: Any) -> None:
        note_statement(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", before_cursor_execute)


@contextmanager
def count_statements() -> Iterator[StatementLog]:
    """Collect every SQL statement run in this context (and tasks it starts)."""
    log = StatementLog()
    token = _current.set(log)
    try:
        yield log
    finally:
        _current.reset(token)
