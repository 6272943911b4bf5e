"""Token bucket timing and circuit-breaker transitions, on an injected clock."""

from __future__ import annotations

import asyncio

import pytest

from fiscus.marketdata.guards import (
    CallOutcome,
    CircuitBreaker,
    CircuitState,
    ProviderGuard,
    ProviderTimeout,
    TokenBucket,
)
from fiscus.marketdata.providers.base import (
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    SymbolNotFound,
)
from tests.marketdata.fakes import FakeClock


class Recorder:
    def __init__(self) -> None:
        self.outcomes: list[CallOutcome] = []
        self.states: list[CircuitState] = []

    def call_finished(self, provider: str, outcome: CallOutcome, seconds: float) -> None:
        self.outcomes.append(outcome)

    def circuit_changed(self, provider: str, state: CircuitState) -> None:
        self.states.append(state)


def guard(clock: FakeClock, *, failures: int = 3, timeout: float = 5.0) -> ProviderGuard:
    observer = Recorder()
    return ProviderGuard(
        "fake",
        bucket=TokenBucket(2.0, 4, clock=clock, sleep=clock.sleep),
        breaker=CircuitBreaker(
            "fake", failures=failures, open_seconds=30, probes=1, clock=clock, observer=observer
        ),
        timeout_seconds=timeout,
        observer=observer,
        clock=clock,
    )


async def answer() -> str:
    return "ok"


def failing(error: Exception):  # type: ignore[no-untyped-def]
    async def call() -> str:
        raise error

    return call


async def test_the_bucket_serves_a_burst_then_paces_callers_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2.0, 3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await bucket.acquire()
    assert clock.slept == []
    await bucket.acquire()
    await bucket.acquire()
    assert clock.slept == [pytest.approx(0.5), pytest.approx(0.5)]


async def test_the_bucket_refills_with_time_up_to_its_size() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, 2, clock=clock, sleep=clock.sleep)
    await bucket.acquire()
    await bucket.acquire()
    clock.advance(60)
    assert bucket.tokens == 2
    await bucket.acquire()
    await bucket.acquire()
    assert clock.slept == []


async def test_concurrent_waiters_queue_behind_each_other() -> None:
    clock = FakeClock()
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    bucket = TokenBucket(4.0, 1, clock=clock, sleep=record)
    await asyncio.gather(*(bucket.acquire() for _ in range(4)))
    assert waits == [pytest.approx(0.25), pytest.approx(0.5), pytest.approx(0.75)]


async def test_a_wait_longer_than_the_deadline_is_refused_without_taking_a_token() -> None:
    clock = FakeClock()
    bucket = TokenBucket(0.1, 1, clock=clock, sleep=clock.sleep)
    await bucket.acquire()
    with pytest.raises(ProviderUnavailable, match="rate limit"):
        await bucket.acquire(max_wait=5.0)
    assert clock.slept == []
    clock.advance(10)
    await bucket.acquire(max_wait=0)


async def test_consecutive_failures_open_the_circuit_and_it_refuses_calls() -> None:
    clock = FakeClock()
    g = guard(clock)
    for _ in range(2):
        with pytest.raises(ProviderError):
            await g.call(failing(ProviderError("down")))
    assert g.breaker.state is CircuitState.CLOSED
    with pytest.raises(ProviderRateLimited):
        await g.call(failing(ProviderRateLimited("429")))
    assert g.breaker.state is CircuitState.OPEN
    calls = 0

    async def counted() -> str:
        nonlocal calls
        calls += 1
        return "ok"

    with pytest.raises(ProviderUnavailable, match="circuit open"):
        await g.call(counted)
    assert calls == 0
    assert g.state().retry_in_seconds == pytest.approx(30)


async def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    g = guard(FakeClock())
    for _ in range(2):
        with pytest.raises(ProviderError):
            await g.call(failing(ProviderError("down")))
    assert await g.call(answer) == "ok"
    for _ in range(2):
        with pytest.raises(ProviderError):
            await g.call(failing(ProviderError("down")))
    assert g.breaker.state is CircuitState.CLOSED


async def test_an_unknown_symbol_is_an_answer_not_a_failure() -> None:
    g = guard(FakeClock(), failures=1)
    with pytest.raises(SymbolNotFound):
        await g.call(failing(SymbolNotFound("NOPE")))
    assert g.breaker.state is CircuitState.CLOSED


async def test_after_the_cool_down_one_probe_closes_the_circuit_on_success() -> None:
    clock = FakeClock()
    g = guard(clock, failures=1)
    with pytest.raises(ProviderError):
        await g.call(failing(ProviderError("down")))
    clock.advance(30)
    assert g.breaker.state is CircuitState.HALF_OPEN
    release = asyncio.Event()

    async def slow_probe() -> str:
        await release.wait()
        return "ok"

    probe = asyncio.create_task(g.call(slow_probe))
    await asyncio.sleep(0)
    with pytest.raises(ProviderUnavailable, match="half-open"):
        await g.call(answer)
    release.set()
    assert await probe == "ok"
    assert g.breaker.state is CircuitState.CLOSED
    observer = g._observer
    assert isinstance(observer, Recorder)
    assert observer.states == [CircuitState.OPEN, CircuitState.HALF_OPEN, CircuitState.CLOSED]


async def test_a_failed_probe_reopens_the_circuit_for_another_cool_down() -> None:
    clock = FakeClock()
    g = guard(clock, failures=1)
    with pytest.raises(ProviderError):
        await g.call(failing(ProviderError("down")))
    clock.advance(31)
    with pytest.raises(ProviderRateLimited):
        await g.call(failing(ProviderRateLimited("429")))
    assert g.breaker.state is CircuitState.OPEN
    clock.advance(29)
    assert g.breaker.state is CircuitState.OPEN
    clock.advance(1)
    assert g.breaker.state is CircuitState.HALF_OPEN


async def test_a_call_past_its_deadline_is_a_failure() -> None:
    g = guard(FakeClock(), failures=1, timeout=0.05)

    async def hang() -> str:
        await asyncio.sleep(10)
        return "late"

    with pytest.raises(ProviderTimeout):
        await g.call(hang)
    assert g.breaker.state is CircuitState.OPEN


async def test_an_unexpected_exception_is_a_provider_error_and_a_failure() -> None:
    g = guard(FakeClock(), failures=1)
    with pytest.raises(ProviderError, match="KeyError"):
        await g.call(failing(KeyError("chart")))
    assert g.breaker.state is CircuitState.OPEN


async def test_a_late_success_of_a_call_admitted_before_the_circuit_opened_is_ignored() -> None:
    clock = FakeClock()
    g = guard(clock, failures=1)
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "ok"

    slow_call = asyncio.create_task(g.call(slow))
    await asyncio.sleep(0)
    with pytest.raises(ProviderError):
        await g.call(failing(ProviderError("down")))
    release.set()
    await slow_call
    assert g.breaker.state is CircuitState.OPEN


async def test_every_call_is_observed_with_its_outcome() -> None:
    clock = FakeClock()
    g = guard(clock, failures=1)
    await g.call(answer)
    with pytest.raises(SymbolNotFound):
        await g.call(failing(SymbolNotFound("X")))
    with pytest.raises(ProviderRateLimited):
        await g.call(failing(ProviderRateLimited("429")))
    with pytest.raises(ProviderUnavailable):
        await g.call(answer)
    observer = g._observer
    assert isinstance(observer, Recorder)
    assert observer.outcomes == [
        CallOutcome.OK,
        CallOutcome.NOT_FOUND,
        CallOutcome.RATE_LIMITED,
        CallOutcome.REJECTED,
    ]
