"""Backtest reads for the API and DataLoaders, in the caller's tenant context: a page of
runs (newest first), runs by ids, and the big series documents by ids (one statement each,
however many runs)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from fiscus.domain.backtesting.records import BacktestRecord
from fiscus.domain.identity import Principal
from fiscus.services.portfolios.context import PortfolioContext


async def backtests_page(
    ctx: PortfolioContext,
    principal: Principal,
    *,
    before: tuple[datetime, UUID] | None,
    limit: int,
) -> list[BacktestRecord]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.analytics.backtests_page(before=before, limit=limit)


async def backtests_by_ids(
    ctx: PortfolioContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, BacktestRecord]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return {b.id: b for b in await reads.analytics.backtests_by_ids(ids)}


async def backtest_series(
    ctx: PortfolioContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, dict[str, Any]]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.analytics.backtest_series(ids)
