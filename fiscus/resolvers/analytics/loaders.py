"""Analytics DataLoaders (``info.context.loaders.analytics``), fresh per request: backtest
runs by id and their series documents, each one statement however many runs a request
touches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from strawberry.dataloader import DataLoader

from fiscus.domain.backtesting.records import BacktestRecord
from fiscus.services.backtesting import queries


class AnalyticsLoaders:
    def __init__(self, context: Any) -> None:
        self._context = context
        self.backtest: DataLoader[UUID, BacktestRecord | None] = DataLoader(self._load_backtests)
        self.series: DataLoader[UUID, dict[str, Any] | None] = DataLoader(self._load_series)

    def prime(self, records: Sequence[BacktestRecord]) -> None:
        for record in records:
            self.backtest.prime(record.id, record)

    async def _load_backtests(self, ids: Sequence[UUID]) -> list[BacktestRecord | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.backtests_by_ids(self._context.portfolios, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_series(self, ids: Sequence[UUID]) -> list[dict[str, Any] | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.backtest_series(self._context.portfolios, principal, ids)
        return [found.get(i) for i in ids]
