"""What portfolio use cases need, built once per process (``Runtime.open``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TypeVar

from fiscus.services.context import ServiceContext
from fiscus.services.portfolios.replaying import ReplayJob, ReplayOutcome, run_replay

R = TypeVar("R")
OFFLOAD_AT = 200
"""Histories with at least this many transactions are replayed in a worker thread, so a big
portfolio's recomputation never holds the event loop."""


@dataclass(kw_only=True)
class PortfolioContext(ServiceContext):
    offload_at: int = OFFLOAD_AT
    replay_pool: Executor | None = None
    """Processes for big replays (``Runtime.open`` starts them); without one, a worker
    thread."""

    async def replay(self, job: ReplayJob) -> ReplayOutcome:
        """A use case's replay: inline for a small history, else in a replay process (the
        event loop's process keeps the interpreter lock to itself)."""
        if job.size < self.offload_at:
            return run_replay(job)
        if self.replay_pool is None:
            return await asyncio.to_thread(run_replay, job)
        return await asyncio.get_running_loop().run_in_executor(self.replay_pool, run_replay, job)

    async def offload(self, size: int, call: Callable[[], R]) -> R:
        """``call()`` in a worker thread when ``size`` (rows, transactions) is big, else
        right here: pure work on a big history never holds the event loop."""
        if size >= self.offload_at:
            return await asyncio.to_thread(call)
        return call()
