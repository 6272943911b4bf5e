"""Health probes: ``/health`` (the process answers), ``/health/database``,
``/health/cache`` and ``/health/worker``.

``/health`` also carries ``marketdata``: each provider's circuit breaker (``state`` closed,
half_open or open, ``consecutive_failures``, ``retry_in_seconds`` while open). An open
circuit leaves the probe ``ok`` (the API then serves stored, stale-flagged prices); the
entry's own ``status`` says ``degraded``.

Each answers ``{"status": "ok"|"down", "latency_ms": float, "detail"?: str}``, with HTTP 503
when down, within ``PROBE_TIMEOUT_SECONDS`` even if the dependency hangs. The runtime is read
from ``request.app.state.runtime``. Failure details name the error class only (probes are
often reachable by anyone); the full error goes to the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from arq.constants import health_check_key_suffix
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from fiscus.config import Settings
from fiscus.marketdata.guards import CircuitState
from fiscus.runtime import Runtime, queue_name

PROBE_TIMEOUT_SECONDS = 2.0
NO_STORE = {"cache-control": "no-store"}

log = logging.getLogger(__name__)

Check = Callable[[Runtime], Awaitable[str | None]]
"""Returns an optional detail when healthy; raises when not."""


class DependencyDown(Exception):
    """A check's verdict "down", with a detail safe to show."""


def worker_health_key(settings: Settings) -> str:
    """The key arq's worker refreshes every ``health_check_interval`` seconds with a TTL of
    ``health_check_interval + 1`` seconds, and deletes when it shuts down cleanly."""
    return queue_name(settings) + health_check_key_suffix


async def check_database(runtime: Runtime) -> str | None:
    async with runtime.db.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return None


async def check_cache(runtime: Runtime) -> str | None:
    await runtime.redis.ping()
    return None


async def check_worker(runtime: Runtime) -> str | None:
    report = await runtime.redis.get(worker_health_key(runtime.settings))
    if report is None:
        interval = runtime.settings.worker.health_check_interval_seconds
        raise DependencyDown(f"no worker has reported in the last {interval + 1} s")
    return report.decode() if isinstance(report, bytes) else str(report)


def marketdata_health(runtime: Runtime) -> dict[str, object]:
    states = runtime.providers.states()
    return {
        "status": "ok" if all(s.state is CircuitState.CLOSED for s in states) else "degraded",
        "providers": [
            {
                "provider": s.provider,
                "state": s.state.value,
                "consecutive_failures": s.consecutive_failures,
                "retry_in_seconds": None
                if s.retry_in_seconds is None
                else round(s.retry_in_seconds, 1),
            }
            for s in states
        ],
    }


async def alive(request: Request) -> JSONResponse:
    body: dict[str, object] = {"status": "ok", "latency_ms": 0.0}
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is not None:
        body["marketdata"] = marketdata_health(runtime)
    return JSONResponse(body, headers=NO_STORE)


async def database(request: Request) -> JSONResponse:
    return await respond(request, "database", check_database)


async def cache(request: Request) -> JSONResponse:
    return await respond(request, "cache", check_cache)


async def worker(request: Request) -> JSONResponse:
    return await respond(request, "worker", check_worker)


async def respond(request: Request, name: str, check: Check) -> JSONResponse:
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    started = time.perf_counter()
    detail: str | None
    try:
        if runtime is None:
            raise DependencyDown("the application has not started")
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            detail = await check(runtime)
        ok = True
    except DependencyDown as down:
        ok, detail = False, str(down)
    except TimeoutError:
        ok, detail = False, f"no answer within {PROBE_TIMEOUT_SECONDS} s"
    except Exception as error:
        log.warning("health check failed", extra={"dependency": name}, exc_info=True)
        ok, detail = False, type(error).__name__
    body: dict[str, object] = {
        "status": "ok" if ok else "down",
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    if detail:
        body["detail"] = detail
    return JSONResponse(body, status_code=200 if ok else 503, headers=NO_STORE)
