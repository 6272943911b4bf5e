"""The backtest job: simulate one queued run (``services.backtesting.runs.execute``).
Idempotent: a run already finished is left as it is, so arq's at-least-once delivery is
harmless; the job id is ``backtest:<run id>`` (enqueued once per run)."""

from __future__ import annotations

from uuid import UUID

from fiscus.services.backtesting import runs
from fiscus.workers.jobs.context import JobContext, runtime_of

RUN_BACKTEST_JOB = runs.RUN_BACKTEST_JOB
RUN_BACKTEST_TIMEOUT_SECONDS = 15 * 60


async def run_backtest(ctx: JobContext, *, org_id: str, backtest_id: str) -> str:
    runtime = runtime_of(ctx)
    status = await runs.execute(
        runtime.portfolios, runtime.broker.publish, UUID(org_id), UUID(backtest_id)
    )
    return status.value
