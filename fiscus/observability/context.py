"""Per-request values shared by logging, metrics and error reporting."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("fiscus_request_id", default=None)
