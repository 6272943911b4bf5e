"""backtestProgress: a run's status and progress, from where it is now until it finishes.
Only a run of the caller's organization: another one's id is NOT_FOUND, and the channel is
named by the caller's own organization anyway."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from decimal import Decimal
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain.backtesting.records import BacktestRecord, BacktestStatus
from fiscus.domain.identity import Permission
from fiscus.realtime import channels
from fiscus.resolvers.analytics.queries import backtest_id
from fiscus.schema.analytics.backtests import BacktestError, BacktestProgress
from fiscus.schema.permissions import requires
from fiscus.schema.relay import to_global_id
from fiscus.services.backtesting import queries


def _event(run_id: strawberry.ID, payload: dict[str, Any]) -> BacktestProgress:
    error = payload.get("error")
    return BacktestProgress(
        backtest_id=run_id,
        status=BacktestStatus(payload["status"]),
        progress=Decimal(payload["progress"]),
        error=BacktestError(code=error["code"], field=error["field"], message=error["message"])
        if error
        else None,
    )


def _stored(run_id: strawberry.ID, record: BacktestRecord) -> BacktestProgress:
    return _event(
        run_id,
        {"status": record.status.value, "progress": str(record.progress), "error": record.error},
    )


@strawberry.type
class AnalyticsSubscription:
    @strawberry.subscription(
        description="Status and progress of a backtest run until it finishes.",
        permission_classes=[requires(Permission.REPORTS_READ)],
    )
    async def backtest_progress(
        self, info: Info, run_id: strawberry.ID
    ) -> AsyncGenerator[BacktestProgress, None]:
        principal = await info.context.require_principal()
        key = backtest_id(run_id, "runId")
        ctx = info.context.portfolios
        channel = channels.backtest(principal.org_id, key)
        public_id = to_global_id("Backtest", key)
        async with info.context.hub.subscribe(channel) as messages:
            # Subscribed first, then the stored state: nothing between the two is lost.
            found = (await queries.backtests_by_ids(ctx, principal, [key])).get(key)
            if found is None:
                raise GraphQLError(
                    "No such backtest.", extensions={"code": "NOT_FOUND", "argument": "runId"}
                )
            yield _stored(public_id, found)
            if not found.status.active:
                return
            async for envelope in messages:
                event = _event(public_id, envelope.payload)
                yield event
                if not event.status.active:
                    return
