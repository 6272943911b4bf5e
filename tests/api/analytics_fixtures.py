"""Market data for the analytics tests: global instruments with weekday closes (and
corporate actions) written as the owner, the way the market-data refresh writes them."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal

import asyncpg

from tests.conftest import _plain


def weekdays(start: date, end: date) -> list[date]:
    found, day = [], start
    while day <= end:
        if day.weekday() < 5:
            found.append(day)
        day += timedelta(days=1)
    return found


def wave(
    base: float, amplitude: float, period: float, drift: float = 0.0
) -> Callable[[int], Decimal]:
    """A deterministic close for trading day ``n``: rises, falls, recovers."""

    def close(n: int) -> Decimal:
        value = base * (1 + drift * n) * (1 + amplitude * math.sin(n / period))
        return Decimal(f"{value:.4f}")

    return close


async def seed_instrument(
    database_url: str,
    symbol: str,
    days: Sequence[date],
    close: Callable[[int], Decimal],
    *,
    kind: str = "etf",
    currency: str = "USD",
    actions: Sequence[dict[str, str]] = (),
) -> uuid.UUID:
    connection = await asyncpg.connect(_plain(database_url))
    try:
        found: uuid.UUID = await connection.fetchval(
            "SELECT fiscus_upsert_instrument($1, $1 || ' Fund', $2, $3, 'EX', 'simulated', $1, 4)",
            symbol,
            kind,
            currency,
        )
        bars = [{"day": d.isoformat(), "close": str(close(n))} for n, d in enumerate(days)]
        await connection.execute(
            "SELECT fiscus_upsert_daily_prices($1, 'simulated', $2::jsonb)",
            found,
            json.dumps(bars),
        )
        if actions:
            await connection.execute(
                "SELECT fiscus_upsert_corporate_actions($1, 'simulated', $2::jsonb)",
                found,
                json.dumps(list(actions)),
            )
    finally:
        await connection.close()
    return found
