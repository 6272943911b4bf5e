"""The arq worker: registered jobs, schedule, lifecycle, and a runner for the current loop."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from arq import Retry
from arq.cron import cron
from arq.worker import Worker, func

from fiscus.config import Settings, with_jwt_secret
from fiscus.observability import metrics
from fiscus.runtime import (
    Runtime,
    arq_redis_settings,
    job_deserializer,
    job_serializer,
    queue_name,
)
from fiscus.services.identity.password_reset import SEND_PASSWORD_RESET_JOB
from fiscus.services.identity.registration import SEND_SIGN_UP_EMAIL_JOB
from fiscus.workers.jobs import (
    backtesting,
    debts,
    email,
    identity,
    imports,
    maintenance,
    marketdata,
    properties,
)
from fiscus.workers.jobs.context import JobContext

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[..., Coroutine[Any, Any, T]]

PURGE_AT_MINUTE = 17
"""The hourly purge runs at :17, away from the top-of-the-hour rush."""
REFRESH_PRICES_TIMEOUT_SECONDS = 30 * 60
DUE_PAYMENTS_AT = (6, 5)
"""(hour, minute) UTC of the daily scan for debt payments coming due."""
BILLING_TIMEOUT_SECONDS = 30 * 60
BILLING_AT = (2, 5)
"""The daily billing pass (UTC hour, minute); the delinquency snapshot runs 30 minutes later."""


def worker_settings(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``arq.worker.Worker``."""

    async def on_startup(ctx: JobContext) -> None:
        ctx["runtime"] = await Runtime.open(with_jwt_secret(settings))

    async def on_shutdown(ctx: JobContext) -> None:
        runtime = ctx.pop("runtime", None)
        if isinstance(runtime, Runtime):
            await runtime.close()

    return {
        "functions": [
            func(
                measured("send_email", email.send_email),
                name="send_email",
                max_tries=email.MAX_TRIES,
            ),
            func(
                measured(SEND_PASSWORD_RESET_JOB, identity.send_password_reset),
                name=SEND_PASSWORD_RESET_JOB,
            ),
            func(
                measured(SEND_SIGN_UP_EMAIL_JOB, identity.send_sign_up_email),
                name=SEND_SIGN_UP_EMAIL_JOB,
            ),
            func(
                measured(marketdata.BACKFILL_INSTRUMENT_JOB, marketdata.backfill_instrument),
                name=marketdata.BACKFILL_INSTRUMENT_JOB,
                timeout=REFRESH_PRICES_TIMEOUT_SECONDS,
            ),
            func(
                measured(marketdata.REFRESH_PRICES_JOB, marketdata.refresh_prices),
                name=marketdata.REFRESH_PRICES_JOB,
                timeout=REFRESH_PRICES_TIMEOUT_SECONDS,
            ),
            func(
                measured(debts.NOTIFY_DUE_PAYMENTS_JOB, debts.notify_due_debt_payments),
                name=debts.NOTIFY_DUE_PAYMENTS_JOB,
            ),
            func(
                measured(properties.SCHEDULE_BILLING_JOB, properties.schedule_billing),
                name=properties.SCHEDULE_BILLING_JOB,
            ),
            func(
                measured(properties.BILL_LEASES_JOB, properties.bill_leases),
                name=properties.BILL_LEASES_JOB,
                timeout=BILLING_TIMEOUT_SECONDS,
            ),
            func(
                measured(properties.SNAPSHOT_DELINQUENCY_JOB, properties.snapshot_delinquency),
                name=properties.SNAPSHOT_DELINQUENCY_JOB,
                timeout=BILLING_TIMEOUT_SECONDS,
            ),
            func(
                measured(backtesting.RUN_BACKTEST_JOB, backtesting.run_backtest),
                name=backtesting.RUN_BACKTEST_JOB,
                timeout=backtesting.RUN_BACKTEST_TIMEOUT_SECONDS,
            ),
            func(
                measured(imports.IMPORT_STATEMENT_JOB, imports.import_statement),
                name=imports.IMPORT_STATEMENT_JOB,
                timeout=settings.imports.job_timeout_seconds,
            ),
            # Their ids are per organization / connection: keeping no result lets the next
            # request after a run be queued (arq refuses an id whose result it still keeps).
            func(
                measured(imports.TRAIN_CATEGORIZER_JOB, imports.train_categorizer),
                name=imports.TRAIN_CATEGORIZER_JOB,
                timeout=settings.imports.job_timeout_seconds,
                keep_result=0,
            ),
            func(
                measured(imports.SYNC_BANK_CONNECTION_JOB, imports.sync_bank_connection),
                name=imports.SYNC_BANK_CONNECTION_JOB,
                timeout=settings.imports.job_timeout_seconds,
                keep_result=0,
            ),
        ],
        "cron_jobs": [
            cron(
                measured("purge_expired_credentials", maintenance.purge_expired_credentials),
                name="purge_expired_credentials",
                minute=PURGE_AT_MINUTE,
                second=0,
                # arq's default cron id is global to the Redis server; scope it to this
                # deployment so two deployments sharing a Redis both purge.
                job_id=f"{settings.redis.prefix}:cron:purge_expired_credentials",
            ),
            cron(
                measured(marketdata.REFRESH_PRICES_JOB, marketdata.refresh_prices),
                name=f"cron:{marketdata.REFRESH_PRICES_JOB}",
                hour=set(settings.marketdata.refresh_hours_utc),
                minute=settings.marketdata.refresh_minute,
                second=0,
                timeout=REFRESH_PRICES_TIMEOUT_SECONDS,
                job_id=f"{settings.redis.prefix}:cron:{marketdata.REFRESH_PRICES_JOB}",
            ),
            cron(
                measured(debts.NOTIFY_DUE_PAYMENTS_JOB, debts.notify_due_debt_payments),
                name=f"cron:{debts.NOTIFY_DUE_PAYMENTS_JOB}",
                hour=DUE_PAYMENTS_AT[0],
                minute=DUE_PAYMENTS_AT[1],
                second=0,
                job_id=f"{settings.redis.prefix}:cron:{debts.NOTIFY_DUE_PAYMENTS_JOB}",
            ),
            cron(
                measured(properties.SCHEDULE_BILLING_JOB, properties.schedule_billing),
                name=f"cron:{properties.SCHEDULE_BILLING_JOB}",
                hour=BILLING_AT[0],
                minute=BILLING_AT[1],
                second=0,
                job_id=f"{settings.redis.prefix}:cron:{properties.SCHEDULE_BILLING_JOB}",
            ),
            cron(
                measured(properties.SNAPSHOT_DELINQUENCY_JOB, properties.snapshot_delinquency),
                name=f"cron:{properties.SNAPSHOT_DELINQUENCY_JOB}",
                hour=BILLING_AT[0],
                minute=BILLING_AT[1] + 30,
                second=0,
                timeout=BILLING_TIMEOUT_SECONDS,
                job_id=f"{settings.redis.prefix}:cron:{properties.SNAPSHOT_DELINQUENCY_JOB}",
            ),
        ],
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "job_serializer": job_serializer,
        "job_deserializer": job_deserializer,
        "queue_name": queue_name(settings),
        "redis_settings": arq_redis_settings(settings),
        "health_check_interval": settings.worker.health_check_interval_seconds,
        "max_jobs": settings.worker.max_jobs,
        "job_timeout": settings.worker.job_timeout_seconds,
    }


def measured(name: str, job: Job[T]) -> Job[T]:
    """Counts ``job_runs{job,outcome}`` (ok, retry, error, cancelled) and observes
    ``job_duration{job}`` around ``job``."""

    @functools.wraps(job)
    async def run(ctx: JobContext, *args: Any, **kwargs: Any) -> T:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await job(ctx, *args, **kwargs)
            outcome = "ok"
            return result
        except Retry:
            outcome = "retry"
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            metrics.job_runs.labels(job=name, outcome=outcome).inc()
            metrics.job_duration.labels(job=name).observe(time.perf_counter() - started)

    return run


async def run_worker(settings: Settings, *, burst: bool = False) -> None:
    """Run a worker in the current event loop until its task is cancelled (or, with
    ``burst``, until the queue is empty). Signals are left to the caller: cancel the task to
    stop. Jobs still running then are cancelled and go back to the queue (arq retries
    them), which is safe because jobs are idempotent."""
    worker = Worker(**worker_settings(settings), burst=burst, handle_signals=False)
    try:
        await worker.async_run()
    finally:
        await _close(worker)


async def _close(worker: Worker) -> None:
    # Worker.close() gathers its job tasks without return_exceptions, so a cancelled job
    # would abort it before it removes the health-check key and runs on_shutdown.
    for task in worker.tasks.values():
        task.cancel()
    await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
    worker.tasks.clear()
    try:
        await worker.close()
    except Exception:
        log.exception("worker shutdown failed")
