"""What stands around every provider call: a token bucket, a circuit breaker and a deadline.

Pure asyncio, per process (no Redis): each process protects the provider from its own
calls. Clocks are injectable (``clock`` returns monotonic seconds, ``sleep`` waits) so tests
cross cool-downs and refills without sleeping.

Outcomes and the breaker:

- success, and :class:`SymbolNotFound` (the provider answered): count as success;
- :class:`ProviderRateLimited`, any other :class:`ProviderError`, a timeout, or an
  unexpected exception (wrapped into ``ProviderError``): count as failure;
- refused by the breaker or the bucket (:class:`ProviderUnavailable`), or the caller
  cancelled: no verdict (the provider was not asked, or did not finish answering).

A result that arrives after the breaker changed state (a slow call admitted while CLOSED
that finishes after the circuit opened) is ignored: only calls admitted in the current
state decide the next one.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from fiscus.marketdata.providers.base import (
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    SymbolNotFound,
)

T = TypeVar("T")
MonotonicClock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class ProviderTimeout(ProviderError):
    """The provider did not answer within the call's deadline."""


class CircuitState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CallOutcome(enum.StrEnum):
    OK = "ok"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"
    ERROR = "error"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class GuardState:
    """One provider's guards as health and metrics show them."""

    provider: str
    state: CircuitState
    consecutive_failures: int
    retry_in_seconds: float | None
    """While OPEN: seconds until the breaker lets a probe through."""
    tokens: float


class GuardObserver(Protocol):
    def call_finished(self, provider: str, outcome: CallOutcome, seconds: float) -> None: ...

    def circuit_changed(self, provider: str, state: CircuitState) -> None: ...


class _Unobserved:
    def call_finished(self, provider: str, outcome: CallOutcome, seconds: float) -> None:
        return None

    def circuit_changed(self, provider: str, state: CircuitState) -> None:
        return None


UNOBSERVED: GuardObserver = _Unobserved()


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; one token per call.

    A caller that finds the bucket empty reserves the next token (the balance goes
    negative) and sleeps until it is due, so concurrent callers queue in arrival order.
    When that wait would exceed ``max_wait`` the call is refused at once instead."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: MonotonicClock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()

    @property
    def tokens(self) -> float:
        self._refill()
        return self._tokens

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self, *, max_wait: float | None = None) -> None:
        self._refill()
        self._tokens -= 1
        if self._tokens >= 0:
            return
        wait = -self._tokens / self.rate
        if max_wait is not None and wait > max_wait:
            self._tokens += 1
            raise ProviderUnavailable(
                f"rate limit: the next call is allowed in {wait:.2f} s, past the "
                f"{max_wait:.2f} s deadline"
            )
        try:
            await self._sleep(wait)
        except BaseException:
            self._tokens += 1  # the reserved token goes back to the next caller
            raise


@dataclass(frozen=True, slots=True)
class Admission:
    """A call the breaker let through: which state generation it belongs to, and whether
    it holds one of the half-open probe slots."""

    generation: int
    probe: bool


class CircuitBreaker:
    """CLOSED -> OPEN after ``failures`` consecutive failures; OPEN refuses calls for
    ``open_seconds``, then HALF_OPEN lets at most ``probes`` calls through at once; a
    probe's success closes the circuit, its failure re-opens it."""

    def __init__(
        self,
        provider: str,
        *,
        failures: int,
        open_seconds: float,
        probes: int,
        clock: MonotonicClock = time.monotonic,
        observer: GuardObserver = UNOBSERVED,
    ) -> None:
        if failures < 1 or probes < 1 or open_seconds < 0:
            raise ValueError("a breaker needs failures >= 1, probes >= 1, open_seconds >= 0")
        self.provider = provider
        self.failures = failures
        self.open_seconds = open_seconds
        self.probes = probes
        self._clock = clock
        self._observer = observer
        self._state = CircuitState.CLOSED
        self._generation = 0
        self._consecutive_failures = 0
        self._opened_at = 0.0
        self._probes_in_flight = 0

    @property
    def state(self) -> CircuitState:
        if (
            self._state is CircuitState.OPEN
            and self._clock() - self._opened_at >= self.open_seconds
        ):
            self._move(CircuitState.HALF_OPEN)
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._consecutive_failures

    def retry_in(self) -> float | None:
        if self.state is not CircuitState.OPEN:
            return None
        return max(0.0, self.open_seconds - (self._clock() - self._opened_at))

    def admit(self) -> Admission:
        state = self.state
        if state is CircuitState.CLOSED:
            return Admission(self._generation, probe=False)
        if state is CircuitState.OPEN:
            raise ProviderUnavailable(
                f"{self.provider}: circuit open, next probe in {self.retry_in() or 0:.1f} s"
            )
        if self._probes_in_flight >= self.probes:
            raise ProviderUnavailable(f"{self.provider}: circuit half-open, probe in flight")
        self._probes_in_flight += 1
        return Admission(self._generation, probe=True)

    def succeeded(self, admission: Admission) -> None:
        if not self._current(admission):
            return
        self._consecutive_failures = 0
        if self._state is CircuitState.HALF_OPEN:
            self._move(CircuitState.CLOSED)

    def failed(self, admission: Admission) -> None:
        if not self._current(admission):
            return
        self._consecutive_failures += 1
        if self._state is CircuitState.HALF_OPEN or self._consecutive_failures >= self.failures:
            self._opened_at = self._clock()
            self._move(CircuitState.OPEN)

    def released(self, admission: Admission) -> None:
        """The admitted call ended without a verdict (refused later, or cancelled)."""
        self._current(admission)

    def _current(self, admission: Admission) -> bool:
        if admission.generation != self._generation:
            return False
        if admission.probe:
            self._probes_in_flight -= 1
        return True

    def _move(self, state: CircuitState) -> None:
        self._state = state
        self._generation += 1
        self._probes_in_flight = 0
        self._observer.circuit_changed(self.provider, state)


class ProviderGuard:
    """The breaker, the bucket and the deadline of one provider, applied to one call."""

    def __init__(
        self,
        provider: str,
        *,
        bucket: TokenBucket,
        breaker: CircuitBreaker,
        timeout_seconds: float,
        observer: GuardObserver = UNOBSERVED,
        clock: MonotonicClock = time.monotonic,
    ) -> None:
        self.provider = provider
        self.bucket = bucket
        self.breaker = breaker
        self.timeout_seconds = timeout_seconds
        self._observer = observer
        self._clock = clock

    def state(self) -> GuardState:
        return GuardState(
            provider=self.provider,
            state=self.breaker.state,
            consecutive_failures=self.breaker.consecutive_failures,
            retry_in_seconds=self.breaker.retry_in(),
            tokens=round(self.bucket.tokens, 3),
        )

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """``operation()`` under the guards. Raises ProviderUnavailable when refused,
        ProviderTimeout past the deadline, and the provider's own ProviderError
        otherwise (anything else it raises is wrapped into ProviderError)."""
        started = self._clock()
        try:
            admission = self.breaker.admit()
        except ProviderUnavailable:
            self._finished(CallOutcome.REJECTED, started)
            raise
        try:
            async with asyncio.timeout(self.timeout_seconds):
                await self.bucket.acquire(max_wait=self.timeout_seconds)
                result = await operation()
        except ProviderUnavailable:
            self.breaker.released(admission)
            self._finished(CallOutcome.REJECTED, started)
            raise
        except SymbolNotFound:
            self.breaker.succeeded(admission)
            self._finished(CallOutcome.NOT_FOUND, started)
            raise
        except ProviderRateLimited:
            self.breaker.failed(admission)
            self._finished(CallOutcome.RATE_LIMITED, started)
            raise
        except ProviderError:
            self.breaker.failed(admission)
            self._finished(CallOutcome.ERROR, started)
            raise
        except TimeoutError:
            self.breaker.failed(admission)
            self._finished(CallOutcome.TIMEOUT, started)
            raise ProviderTimeout(
                f"{self.provider}: no answer within {self.timeout_seconds} s"
            ) from None
        except asyncio.CancelledError:
            self.breaker.released(admission)
            raise
        except Exception as error:
            self.breaker.failed(admission)
            self._finished(CallOutcome.ERROR, started)
            raise ProviderError(f"{self.provider}: {type(error).__name__}: {error}") from error
        self.breaker.succeeded(admission)
        self._finished(CallOutcome.OK, started)
        return result

    def _finished(self, outcome: CallOutcome, started: float) -> None:
        self._observer.call_finished(self.provider, outcome, max(0.0, self._clock() - started))
