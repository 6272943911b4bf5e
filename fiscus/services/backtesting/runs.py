"""Backtest runs: ``submit`` (the ``runBacktest`` mutation) checks the request, stores a
QUEUED run -- or, while an identical request is queued or running, returns that run -- and
enqueues one ``run_backtest`` job (job id ``backtest:<run id>``: a run is enqueued once);
``execute`` (the job, or ``fiscus demo`` inline) simulates off the event loop, publishes
progress on the run's channel, and stores the result (SUCCEEDED) or the typed error
(FAILED). Both are audited and published on the organization's activity channel after
commit."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any
from uuid import UUID

from fiscus.domain.analytics import RiskFreeRate, SeriesMetrics, series_metrics
from fiscus.domain.backtesting import MissingPrice, StrategyResult, run_backtest
from fiscus.domain.backtesting.records import BacktestRecord, BacktestStatus
from fiscus.domain.errors import DomainError, ErrorCode, FieldIssue, ValidationFailed
from fiscus.domain.identity import Principal, Role
from fiscus.realtime import channels
from fiscus.services.analytics.risk_free import risk_free_rate
from fiscus.services.analytics.series import Window, portfolio_series
from fiscus.services.backtesting.documents import (
    BacktestRequest,
    request_document,
    request_hash,
    request_of,
    result_documents,
)
from fiscus.services.backtesting.market import load_market
from fiscus.services.backtesting.requests import BacktestInput, prepare
from fiscus.services.identity import audit
from fiscus.services.portfolios.context import PortfolioContext

log = logging.getLogger(__name__)

RUN_BACKTEST_JOB = "run_backtest"
PROGRESS_INTERVAL_SECONDS = 0.25
_STEP = Decimal("0.0001")
_NIL = UUID(int=0)

Publish = Callable[[channels.Channel, dict[str, Any]], Awaitable[Any]]


def job_id(backtest_id: UUID) -> str:
    return f"backtest:{backtest_id}"


@dataclass(frozen=True, slots=True)
class Submitted:
    backtest: BacktestRecord
    shared: bool
    """An identical request was already queued or running: this is that run."""


async def submit(ctx: PortfolioContext, principal: Principal, raw: BacktestInput) -> Submitted:
    request = await prepare(ctx, principal, raw)
    document = request_document(request)
    digest = request_hash(document)
    at = ctx.clock()
    async with ctx.unit(principal.org_id, principal.user_id) as uow:
        backtest_id, created = await uow.analytics.add_backtest(
            backtest_id=uuid.uuid4(),
            name=request.name,
            request=document,
            request_hash=digest,
            created_by=principal.user_id,
            at=at,
        )
        if created:
            await audit.record_by(
                uow,
                principal,
                action="backtest.requested",
                subject_type="backtest",
                subject_id=backtest_id,
                at=at,
                details={"name": request.name, "strategies": len(request.strategies)},
            )
            uow.enqueue(
                RUN_BACKTEST_JOB,
                job_id=job_id(backtest_id),
                org_id=str(principal.org_id),
                backtest_id=str(backtest_id),
            )
        found = await uow.analytics.record(backtest_id)
        await uow.commit()
    return Submitted(found, not created)


def progress_payload(
    backtest_id: UUID, status: BacktestStatus, progress: Decimal, error: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "backtest_id": str(backtest_id),
        "status": status.value,
        "progress": str(progress),
        "error": error,
    }


def _job_principal(org_id: UUID, user_id: UUID | None, at: datetime) -> Principal:
    """Reads in the job act for the organization (the run's creator, for the tenant
    context of the read path); nothing checks a permission on it."""
    return Principal(
        user_id=user_id or _NIL,
        org_id=org_id,
        role=Role.ANALYST,
        session_id=_NIL,
        expires_at=at + timedelta(hours=1),
    )


async def execute(
    ctx: PortfolioContext, publish: Publish, org_id: UUID, backtest_id: UUID
) -> BacktestStatus:
    """Idempotent: a run already finished is left as it is (arq delivers at least once)."""
    channel = channels.backtest(org_id, backtest_id)
    at = ctx.clock()
    async with ctx.unit(org_id) as uow:
        status, document, creator = await uow.analytics.backtest_for_run(backtest_id)
        if not status.active:
            return status
        await uow.analytics.mark_running(backtest_id, at)
        await uow.commit()
    await publish(channel, progress_payload(backtest_id, BacktestStatus.RUNNING, Decimal(0), None))
    request = request_of(document)
    principal = _job_principal(org_id, creator, at)
    try:
        summary, series = await _simulate(ctx, principal, request, backtest_id, channel, publish)
    except DomainError as error:
        failure = {"code": error.code, "field": error.field, "message": error.message}
        return await _finish(ctx, publish, org_id, backtest_id, error=failure)
    except Exception:
        log.exception("backtest failed", extra={"backtest_id": str(backtest_id)})
        failure = {"code": "UNEXPECTED", "field": None, "message": "Unexpected error."}
        return await _finish(ctx, publish, org_id, backtest_id, error=failure)
    return await _finish(ctx, publish, org_id, backtest_id, summary=summary, series=series)


async def _finish(
    ctx: PortfolioContext,
    publish: Publish,
    org_id: UUID,
    backtest_id: UUID,
    *,
    summary: dict[str, Any] | None = None,
    series: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> BacktestStatus:
    status = BacktestStatus.FAILED if error is not None else BacktestStatus.SUCCEEDED
    at = ctx.clock()
    async with ctx.unit(org_id) as uow:
        await uow.analytics.finish(
            backtest_id, status=status, at=at, summary=summary, series=series, error=error
        )
        await audit.record(
            uow,
            org_id=org_id,
            actor_user_id=None,
            action="backtest.succeeded" if error is None else "backtest.failed",
            subject_type="backtest",
            subject_id=backtest_id,
            at=at,
            details={"error": error["code"]} if error else {},
        )
        await uow.commit()
    await publish(
        channels.backtest(org_id, backtest_id),
        progress_payload(backtest_id, status, Decimal(1), error),
    )
    return status


async def _simulate(
    ctx: PortfolioContext,
    principal: Principal,
    request: BacktestRequest,
    backtest_id: UUID,
    channel: channels.Channel,
    publish: Publish,
) -> tuple[dict[str, Any], dict[str, Any]]:
    ids = {a.instrument_id for s in request.strategies for a in s.allocations}
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        market = await load_market(reads, ids, request.currency, request.start, request.end)
    rf = await risk_free_rate(ctx, principal, request.risk_free_rate, request.start, request.end)
    latest = [Decimal(0)]

    def report(done: int, total: int) -> None:
        latest[0] = (Decimal(done) / Decimal(total)).quantize(_STEP, ROUND_DOWN)

    def simulate() -> list[StrategyResult]:
        try:
            return run_backtest(
                request.strategies,
                market,
                request.start,
                request.end,
                risk_free=rf,
                progress=report,
            )
        except MissingPrice as missing:
            symbol = request.symbols.get(missing.instrument_id, str(missing.instrument_id))
            raise ValidationFailed(
                [
                    FieldIssue(
                        "strategies",
                        ErrorCode.NO_PRICES,
                        f"{symbol} has no close on or before {missing.day.isoformat()}.",
                    )
                ]
            ) from None

    ticker = asyncio.create_task(
        _report_progress(ctx, principal.org_id, backtest_id, channel, publish, latest)
    )
    try:
        results = await asyncio.to_thread(simulate)
    finally:
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
    comparison = None
    if request.compare_portfolio_id is not None and results:
        comparison = await _comparison(ctx, principal, request, results, rf)
    return await asyncio.to_thread(result_documents, results, request.symbols, comparison)


async def _comparison(
    ctx: PortfolioContext,
    principal: Principal,
    request: BacktestRequest,
    results: list[StrategyResult],
    rf: RiskFreeRate,
) -> tuple[UUID, SeriesMetrics] | None:
    """The real portfolio over the backtest's own period, by the same functions."""
    assert request.compare_portfolio_id is not None
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        found = await reads.portfolios.portfolios_by_ids([request.compare_portfolio_id])
    if not found:
        return None  # deleted since the request
    first = results[0].metrics.performance.start
    last = results[0].metrics.performance.end
    measured = await portfolio_series(ctx, principal, found[0], Window(None, first, last))
    metrics = await asyncio.to_thread(
        series_metrics, measured.points, measured.start, measured.end, rf
    )
    return found[0].id, metrics


async def _report_progress(
    ctx: PortfolioContext,
    org_id: UUID,
    backtest_id: UUID,
    channel: channels.Channel,
    publish: Publish,
    latest: list[Decimal],
) -> None:
    """Publishes the latest progress every ``PROGRESS_INTERVAL_SECONDS`` while it moves, and
    stores it every tenth."""
    published = stored = Decimal(0)
    while True:
        await asyncio.sleep(PROGRESS_INTERVAL_SECONDS)
        current = latest[0]
        if current == published:
            continue
        published = current
        await publish(channel, progress_payload(backtest_id, BacktestStatus.RUNNING, current, None))
        if current - stored >= Decimal("0.1"):
            stored = current
            async with ctx.unit(org_id) as uow:
                await uow.analytics.set_progress(backtest_id, current)
                await uow.commit()
