"""The bounded, conflating queue of frames waiting for one socket."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

from fiscus.observability import metrics

logger = logging.getLogger(__name__)


class OutboundQueue:
    """Frames waiting for one socket. ``next`` frames are bounded: when ``capacity`` of them
    are waiting, the oldest one of the same operation (else the oldest overall) is dropped.
    A ``next`` frame with a ``conflate_key`` (one symbol of a split ``priceUpdates``)
    replaces, in place, a frame of the same operation and key that is still waiting: latest
    wins per key, so a slow reader gets each symbol's newest value, never a backlog.
    Control frames (ack, error, complete) are never dropped; pongs are dropped when full."""

    def __init__(self, capacity: int) -> None:
        self._capacity = max(capacity, 1)
        self._frames: deque[list[Any]] = deque()  # [op_id | None, frame, conflate_key]
        self._waiting: dict[tuple[str, Any], list[Any]] = {}
        self._next_frames = 0
        self._waiter: asyncio.Future[None] | None = None
        self.conflated = 0

    def put_next(self, op_id: str, frame: str, conflate_key: Any = None) -> None:
        if conflate_key is not None:
            waiting = self._waiting.get((op_id, conflate_key))
            if waiting is not None:
                waiting[1] = frame
                self.conflated += 1
                metrics.messages_dropped.inc()
                return
        if self._next_frames >= self._capacity:
            self._drop_one_next(op_id)
        entry = [op_id, frame, conflate_key]
        self._frames.append(entry)
        if conflate_key is not None:
            self._waiting[(op_id, conflate_key)] = entry
        self._next_frames += 1
        self._wake()

    def put_control(self, frame: str) -> None:
        self._frames.append([None, frame, None])
        self._wake()

    def put_pong(self, frame: str) -> None:
        if len(self._frames) < self._capacity:
            self.put_control(frame)

    async def get(self) -> tuple[str | None, str]:
        await self.wait()
        return self._pop()

    async def wait(self) -> None:
        """Until at least one frame is waiting (one writer at a time)."""
        while not self._frames:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def get_nowait(self) -> tuple[str | None, str] | None:
        return self._pop() if self._frames else None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __len__(self) -> int:
        return len(self._frames)

    def _pop(self) -> tuple[str | None, str]:
        op_id, frame, conflate_key = self._frames.popleft()
        if op_id is not None:
            self._next_frames -= 1
            if conflate_key is not None:
                del self._waiting[(op_id, conflate_key)]
        return op_id, frame

    def _drop_one_next(self, op_id: str) -> None:
        victim = next((i for i, entry in enumerate(self._frames) if entry[0] == op_id), None)
        if victim is None:
            victim = next(i for i, entry in enumerate(self._frames) if entry[0] is not None)
        owner, _, conflate_key = self._frames[victim]
        del self._frames[victim]
        if conflate_key is not None:
            del self._waiting[(owner, conflate_key)]
        self._next_frames -= 1
        metrics.messages_dropped.inc()
