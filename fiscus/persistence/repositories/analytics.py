"""Analytics writes (units of work), reached lazily as ``uow.analytics``: backtest runs and
the organization's analytics settings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert

from fiscus.domain.backtesting.records import BacktestRecord, BacktestStatus
from fiscus.persistence.models.analytics import AnalyticsSettingsRow, BacktestRow
from fiscus.persistence.repositories.base import AreaRepository

B = BacktestRow
_ACTIVE = text("status IN ('QUEUED','RUNNING')")


class AnalyticsRepository(AreaRepository):
    async def add_backtest(
        self,
        *,
        backtest_id: UUID,
        name: str,
        request: dict[str, Any],
        request_hash: str,
        created_by: UUID | None,
        at: datetime,
    ) -> tuple[UUID, bool]:
        """The new run's id and True; or, when an identical request is queued or running,
        that run's id and False (one statement either way, plus one when shared)."""
        statement = (
            insert(B)
            .values(
                org_id=self.org_id,
                id=backtest_id,
                name=name,
                status=BacktestStatus.QUEUED.value,
                request_hash=request_hash,
                request=request,
                created_by=created_by,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=["org_id", "request_hash"], index_where=_ACTIVE)
            .returning(B.id)
        )
        created = (await self.session.execute(statement)).scalar_one_or_none()
        if created is not None:
            return created, True
        existing = await self.session.scalar(
            select(B.id).where(B.org_id == self.org_id, B.request_hash == request_hash, _ACTIVE)
        )
        if existing is None:  # finished between the two statements: run it again
            return await self.add_backtest(
                backtest_id=backtest_id,
                name=name,
                request=request,
                request_hash=request_hash,
                created_by=created_by,
                at=at,
            )
        return existing, False

    async def record(self, backtest_id: UUID) -> BacktestRecord:
        row = await self.session.scalar(
            select(B).where(B.org_id == self.org_id, B.id == backtest_id)
        )
        if row is None:
            raise LookupError(f"no backtest {backtest_id}")
        return BacktestRecord(
            id=row.id,
            org_id=row.org_id,
            name=row.name,
            status=BacktestStatus(row.status),
            request=dict(row.request),
            progress=Decimal(row.progress),
            summary=row.summary,
            error=row.error,
            created_by=row.created_by,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )

    async def backtest_for_run(
        self, backtest_id: UUID
    ) -> tuple[BacktestStatus, dict[str, Any], UUID | None]:
        """Status, request and creator, locking the row (one worker runs it at a time)."""
        row = (
            await self.session.execute(
                select(B.status, B.request, B.created_by)
                .where(B.org_id == self.org_id, B.id == backtest_id)
                .with_for_update()
            )
        ).one_or_none()
        if row is None:
            raise LookupError(f"no backtest {backtest_id}")
        return BacktestStatus(row[0]), dict(row[1]), row[2]

    async def mark_running(self, backtest_id: UUID, at: datetime) -> None:
        await self.session.execute(
            update(B)
            .where(B.org_id == self.org_id, B.id == backtest_id)
            .values(status=BacktestStatus.RUNNING.value, started_at=at, progress=Decimal(0))
        )

    async def set_progress(self, backtest_id: UUID, progress: Decimal) -> None:
        await self.session.execute(
            update(B).where(B.org_id == self.org_id, B.id == backtest_id).values(progress=progress)
        )

    async def finish(
        self,
        backtest_id: UUID,
        *,
        status: BacktestStatus,
        at: datetime,
        summary: dict[str, Any] | None = None,
        series: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        await self.session.execute(
            update(B)
            .where(B.org_id == self.org_id, B.id == backtest_id)
            .values(
                status=status.value,
                finished_at=at,
                progress=Decimal(1),
                summary=summary,
                series=series,
                error=error,
            )
        )

    async def save_settings(
        self,
        *,
        risk_free_rate: Decimal | None,
        risk_free_symbol: str | None,
        updated_by: UUID,
        at: datetime,
    ) -> None:
        values = {
            "risk_free_rate": risk_free_rate,
            "risk_free_symbol": risk_free_symbol,
            "updated_by": updated_by,
            "updated_at": at,
        }
        statement = insert(AnalyticsSettingsRow).values(org_id=self.org_id, **values)
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["org_id"], set_=values)
        )
