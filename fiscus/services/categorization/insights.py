"""Recurring series and spending segments of an organization's bank lines (computed on
read, off the event loop)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from uuid import UUID

from fiscus.domain.categorization.recurring import (
    RecurringInput,
    RecurringSeries,
    detect_recurring,
)
from fiscus.domain.categorization.segments import (
    SegmentInput,
    SpendingSegment,
    spending_segments,
)
from fiscus.services.categorization.context import Acting, CategorizationContext

RECURRING_WINDOW = timedelta(days=400)
MAX_MONTHS = 36


async def recurring(
    ctx: CategorizationContext,
    acting: Acting,
    *,
    account_id: UUID | None = None,
    today: date | None = None,
) -> list[RecurringSeries]:
    """Series in the last ``RECURRING_WINDOW`` of lines (of one account, or all)."""
    day = today or ctx.clock().date()
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        found = await reads.imports.series_inputs(
            since=day - RECURRING_WINDOW, account_id=account_id
        )
    inputs = [
        RecurringInput(f.id, f.account_id, f.payee, f.date, f.amount, f.category_account_id)
        for f in found
    ]
    return await asyncio.to_thread(detect_recurring, inputs, today=day)


async def segments(
    ctx: CategorizationContext, acting: Acting, *, months: int = 12, today: date | None = None
) -> list[SpendingSegment]:
    day = today or ctx.clock().date()
    span = max(1, min(months, MAX_MONTHS))
    async with ctx.reading(acting.org_id, acting.user_id) as reads:
        found = await reads.imports.series_inputs(
            since=day - timedelta(days=int(span * 30.44)), account_id=None
        )
    inputs = [SegmentInput(f.payee, f.date, f.amount, f.category_account_id) for f in found]
    return await asyncio.to_thread(spending_segments, inputs)
