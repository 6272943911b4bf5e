"""A fake live-price provider: the outside world the streamer talks to, under test control."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from fiscus.domain.marketdata import Quote


def quote(symbol: str, price: str, *, previous: str | None = "100", volume: int = 1000) -> Quote:
    return Quote(
        symbol=symbol,
        price=Decimal(price),
        previous_close=None if previous is None else Decimal(previous),
        day_volume=volume,
        at=datetime.now(UTC),
    )


class _End:
    pass


class FakeStreamProvider:
    """``stream(symbols)`` opens a connection; ``push`` sends a quote to every open
    connection subscribed to its symbol; ``drop`` ends them (a dropped socket); ``mute``
    makes them silent forever (a dead socket that never says so)."""

    name = "fake"

    def __init__(self) -> None:
        self.opened: list[list[str]] = []
        self.closed = 0
        self._connections: list[tuple[frozenset[str], asyncio.Queue[Quote | _End]]] = []
        self.muted = False
        self.connected = asyncio.Event()

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    def stream(self, symbols: Sequence[str]) -> AsyncIterator[Quote]:
        return self._stream(list(symbols))

    async def _stream(self, symbols: list[str]) -> AsyncIterator[Quote]:
        queue: asyncio.Queue[Quote | _End] = asyncio.Queue()
        entry = (frozenset(symbols), queue)
        self.opened.append(symbols)
        self._connections.append(entry)
        self.connected.set()
        try:
            while True:
                item = await queue.get()
                if isinstance(item, _End):
                    return
                yield item
        finally:
            self._connections.remove(entry)
            self.closed += 1

    def push(self, item: Quote) -> int:
        """Quotes delivered (to open, unmuted connections watching the symbol)."""
        if self.muted:
            return 0
        targets = [queue for symbols, queue in self._connections if item.symbol in symbols]
        for queue in targets:
            queue.put_nowait(item)
        return len(targets)

    def drop(self) -> None:
        for _, queue in self._connections:
            queue.put_nowait(_End())

    async def wait_subscribed(self, symbols: set[str], timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a test helper
        async def subscribed() -> None:
            while not any(symbols <= opened for opened, _ in self._connections):  # noqa: ASYNC110
                await asyncio.sleep(0.01)

        await asyncio.wait_for(subscribed(), timeout)
