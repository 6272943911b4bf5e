"""Lanes: postings of one organization by one user, run one call at a time; whatever queued
while a call was in flight goes into the next (see ``groups``)."""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from fiscus.persistence.repositories.ledger_posting import EntryToPost

if TYPE_CHECKING:
    from fiscus.services.ledger.batch import NewEntry

MAX_ENTRIES = 64
"""Entries per call at most (the call's locks cover every account of its entries)."""
IN_FLIGHT = 1
"""Calls in flight per lane. One: the next group gathers while the call runs, so groups are
as large as the concurrency allows and PostgreSQL's work per entry is least (two in flight
measured 1.5x PostgreSQL's CPU per entry, smaller groups, with 16 writers)."""


@dataclass(slots=True, eq=False)
class Member:
    entry: NewEntry
    prepared: EntryToPost
    future: asyncio.Future[Any]

    def answer(self, verdict: Any) -> None:
        if not self.future.done():
            self.future.set_result(verdict)


RunGroup = Callable[[Sequence[Member]], Awaitable[None]]
"""Posts a group and answers every member (``Member.answer``), whatever happens."""


@dataclass(slots=True, eq=False)
class _Lane:
    waiting: deque[Member] = field(default_factory=deque)
    running: int = 0


class PostingLanes:
    """The lanes of one process, keyed by (units of work, organization, user)."""

    def __init__(self, max_entries: int = MAX_ENTRIES, in_flight: int = IN_FLIGHT) -> None:
        self._max = max_entries
        self._in_flight = in_flight
        self._lanes: dict[tuple[int, UUID, UUID | None], _Lane] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def join(
        self,
        key: tuple[int, UUID, UUID | None],
        entry: NewEntry,
        prepared: EntryToPost,
        run: RunGroup,
        *,
        otherwise: Any,
    ) -> Any:
        """Queues the entry in its lane and waits for its answer; ``otherwise`` is the answer
        when the lane stops before its group was posted (its task cancelled)."""
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        lane.waiting.append(Member(entry, prepared, future))
        if lane.running < self._in_flight:
            lane.running += 1
            # A context of its own: the members count the lane's statement themselves.
            task = asyncio.create_task(
                self._drain(key, lane, run, otherwise), context=contextvars.Context()
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(
        self, key: tuple[int, UUID, UUID | None], lane: _Lane, run: RunGroup, otherwise: Any
    ) -> None:
        try:
            while lane.waiting:
                group = self._take(lane)
                if group:
                    await run(group)
        finally:
            lane.running -= 1
            if lane.running == 0:
                for member in lane.waiting:  # left only when the task was cancelled
                    member.answer(otherwise)
                lane.waiting.clear()
                if self._lanes.get(key) is lane:
                    del self._lanes[key]

    def _take(self, lane: _Lane) -> list[Member]:
        group: list[Member] = []
        claims: set[tuple[str, str]] = set()
        later: list[Member] = []
        while lane.waiting and len(group) < self._max:
            member = lane.waiting.popleft()
            if member.future.done():  # its caller went away before the call
                continue
            claim = (member.prepared.scope, member.prepared.key)
            if claim in claims:  # the same key twice: the second waits for the next call
                later.append(member)
                continue
            claims.add(claim)
            group.append(member)
        lane.waiting.extendleft(reversed(later))
        return group
