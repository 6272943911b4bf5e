"""The bounded, conflating queue of frames waiting for one socket."""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from fiscus.observability import metrics

logger = logging.getLogger(__name__)


class OutboundQueue:
    """Frames waiting for one socket. ``next`` frames are bounded: when ``capacity`` of them
    are waiting, the oldest one of the same operation (else the oldest overall) is dropped.
    Control frames (ack, error, complete) are never dropped; pongs are dropped when full."""

    def __init__(self, capacity: int) -> None:
        self._capacity = max(capacity, 1)
        self._frames: deque[tuple[str | None, str]] = deque()
        self._next_frames = 0
        self._wakeup = asyncio.Event()

    def put_next(self, op_id: str, frame: str) -> None:
        if self._next_frames >= self._capacity:
            self._drop_one_next(op_id)
        self._frames.append((op_id, frame))
        self._next_frames += 1
        self._wakeup.set()

    def put_control(self, frame: str) -> None:
        self._frames.append((None, frame))
        self._wakeup.set()

    def put_pong(self, frame: str) -> None:
        if len(self._frames) < self._capacity:
            self.put_control(frame)

    async def get(self) -> tuple[str | None, str]:
        while not self._frames:
            self._wakeup.clear()
            await self._wakeup.wait()
        op_id, frame = self._frames.popleft()
        if op_id is not None:
            self._next_frames -= 1
        return op_id, frame

    def __len__(self) -> int:
        return len(self._frames)

    def _drop_one_next(self, op_id: str) -> None:
        victim = next((i for i, (owner, _) in enumerate(self._frames) if owner == op_id), None)
        if victim is None:
            victim = next(i for i, (owner, _) in enumerate(self._frames) if owner is not None)
        del self._frames[victim]
        self._next_frames -= 1
        metrics.messages_dropped.inc()
