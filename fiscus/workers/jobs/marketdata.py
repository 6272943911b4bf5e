"""Market-data jobs: the scheduled refresh of every watched instrument, and the backfill of
one instrument when it is first tracked. Both are idempotent (upserts that write only what
changed), so arq's at-least-once delivery and overlapping runs are harmless."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from fiscus.services.marketdata import refresh, tracking
from fiscus.workers.jobs.context import JobContext, runtime_of

REFRESH_PRICES_JOB = "refresh_prices"
BACKFILL_INSTRUMENT_JOB = "backfill_instrument"


async def refresh_prices(ctx: JobContext) -> dict[str, Any]:
    """Every instrument any organization watches, from its newest stored day on."""
    runtime = runtime_of(ctx)
    watched = await tracking.watched_instruments(runtime.marketdata)
    report = await refresh.refresh_instruments(runtime.marketdata, runtime.providers, watched)
    return asdict(report)


async def backfill_instrument(ctx: JobContext, instrument_id: str) -> dict[str, Any]:
    runtime = runtime_of(ctx)
    report = await refresh.refresh_instruments(
        runtime.marketdata, runtime.providers, [UUID(instrument_id)]
    )
    return asdict(report)
