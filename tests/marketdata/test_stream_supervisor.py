"""The stream supervisor on a fake provider: re-subscribing, reconnecting, the watchdog."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fiscus.domain.marketdata import Quote
from fiscus.marketdata.streaming import StreamSupervisor
from tests.marketdata.fakes import FakeStreamProvider, quote


@contextlib.asynccontextmanager
async def supervising(supervisor: StreamSupervisor) -> AsyncIterator[None]:
    task = asyncio.create_task(supervisor.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_until(condition, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a test helper
    async def poll() -> None:
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


async def test_changing_the_symbols_resubscribes_the_current_set_at_once():
    provider = FakeStreamProvider()
    received: list[Quote] = []

    async def on_quote(q: Quote) -> None:
        received.append(q)

    supervisor = StreamSupervisor(provider.stream, on_quote, min_backoff=5, max_backoff=5)
    async with supervising(supervisor):
        supervisor.set_symbols({"AAPL"})
        await provider.wait_subscribed({"AAPL"})
        provider.push(quote("AAPL", "101"))
        supervisor.set_symbols({"AAPL", "MSFT"})
        await provider.wait_subscribed({"AAPL", "MSFT"}, timeout=1)  # no backoff
        provider.push(quote("MSFT", "201"))
        await wait_until(lambda: len(received) == 2)
        supervisor.set_symbols(set())
        await wait_until(lambda: provider.open_connections == 0)

    assert provider.opened == [["AAPL"], ["AAPL", "MSFT"]]
    assert [q.symbol for q in received] == ["AAPL", "MSFT"]
    assert provider.closed == 2


async def test_a_dropped_stream_is_reopened_after_a_jittered_growing_backoff():
    provider = FakeStreamProvider()
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)
        await asyncio.sleep(0)

    async def on_quote(q: Quote) -> None:
        pass

    supervisor = StreamSupervisor(
        provider.stream,
        on_quote,
        min_backoff=1.0,
        max_backoff=4.0,
        sleep=fake_sleep,
        random=lambda: 0.25,
    )
    async with supervising(supervisor):
        supervisor.set_symbols({"AAPL"})
        for expected in range(1, 5):
            await wait_until(lambda n=expected: len(provider.opened) == n)
            await wait_until(lambda: provider.open_connections == 1)
            provider.drop()  # ends before delivering anything: a failed connection
        await wait_until(lambda: len(provider.opened) == 5)
        supervisor.set_symbols({"AAPL", "BTC-USD"})
        await provider.wait_subscribed({"AAPL", "BTC-USD"})
        provider.push(quote("AAPL", "1"))
        await wait_until(lambda: supervisor.quotes == 1)
        provider.drop()  # after a delivery: the backoff starts over
        await wait_until(lambda: len(provider.opened) == 7)

    # jitter 0.5 + 0.25 of the doubling backoff, capped at 4 s
    assert delays == [0.75, 1.5, 3.0, 3.0, 0.75]
    assert provider.opened[-1] == ["AAPL", "BTC-USD"]  # the current set, re-subscribed


async def test_a_silent_stream_is_replaced_by_the_watchdog():
    provider = FakeStreamProvider()
    received: list[Quote] = []

    async def on_quote(q: Quote) -> None:
        received.append(q)

    supervisor = StreamSupervisor(
        provider.stream, on_quote, stale_after=0.3, min_backoff=0.01, max_backoff=0.01
    )
    async with supervising(supervisor):
        supervisor.set_symbols({"AAPL"})
        await provider.wait_subscribed({"AAPL"})
        provider.push(quote("AAPL", "101"))
        await wait_until(lambda: len(received) == 1)
        provider.muted = True  # the socket is dead but never says so
        await wait_until(lambda: supervisor.stale_replacements >= 1, timeout=3)
        provider.muted = False
        await wait_until(lambda: provider.open_connections == 1)
        provider.push(quote("AAPL", "102"))
        await wait_until(lambda: len(received) == 2)

    assert len(provider.opened) >= 2
    assert provider.closed >= 1  # the dead connection was closed, not leaked
    assert [str(q.price) for q in received] == ["101", "102"]
