"""What portfolio use cases need, built once per process (``Runtime.open``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fiscus.services.context import ServiceContext
from fiscus.services.portfolios.mark_cache import MarkCache

R = TypeVar("R")
OFFLOAD_AT = 200
"""Histories with at least this many transactions are replayed in a worker thread, so a big
portfolio's recomputation never holds the event loop."""


@dataclass(kw_only=True)
class PortfolioContext(ServiceContext):
    offload_at: int = OFFLOAD_AT
    marks: MarkCache[Any] = field(default_factory=MarkCache)
    """Valuations by their exact inputs (``services/portfolios/mark_cache.py``): shared by
    every request of the process (``sharing`` copies the reference)."""

    async def offload(self, size: int, call: Callable[[], R]) -> R:
        """``call()`` in a worker thread when ``size`` (rows, transactions) is big, else
        right here: pure work on a big history never holds the event loop."""
        if size >= self.offload_at:
            return await asyncio.to_thread(call)
        return call()
