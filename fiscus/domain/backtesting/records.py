"""A stored backtest run as the API shows it. ``request``, ``summary`` and ``error`` are the
JSON documents the backtesting service writes (``services.backtesting.documents``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID


class BacktestStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"

    @property
    def active(self) -> bool:
        return self in (BacktestStatus.QUEUED, BacktestStatus.RUNNING)


@dataclass(frozen=True, slots=True)
class BacktestRecord:
    id: UUID
    org_id: UUID
    name: str
    status: BacktestStatus
    request: dict[str, Any]
    progress: Decimal
    summary: dict[str, Any] | None
    error: dict[str, Any] | None
    created_by: UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
