"""Refreshing stored daily prices and corporate actions from the providers.

Only missing ranges are fetched: an instrument with stored prices is asked from a few days
before its newest stored day (providers revise recent days; the upsert writes only rows that
changed), one without from ``HISTORY_YEARS`` back. Instruments that need the same range from
the same provider are fetched in one batch (the registry chunks it). A provider that is down
leaves those instruments as they were — their prices are then served stale-flagged — and is
reported, never raised: the next run picks them up.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from fiscus.domain.marketdata import Instrument
from fiscus.marketdata.providers.base import History, ProviderError
from fiscus.marketdata.registry import ProviderRegistry
from fiscus.services.marketdata.context import MarketDataContext
from fiscus.services.marketdata.tracking import store_history

HISTORY_YEARS = 10
OVERLAP_DAYS = 7
FETCH_CHUNK = 25
"""Instruments fetched per provider call here (the registry may chunk further)."""
STORE_CONCURRENCY = 3


@dataclass
class RefreshReport:
    instruments: int = 0
    fetched: int = 0
    bars_written: int = 0
    actions_written: int = 0
    unavailable: list[str] = field(default_factory=list)
    """Symbols whose provider could not be reached (kept as they were)."""


def first_day_to_fetch(newest_stored: date | None, today: date) -> date:
    if newest_stored is None:
        return today.replace(year=today.year - HISTORY_YEARS)
    return min(newest_stored - timedelta(days=OVERLAP_DAYS), today)


async def refresh_instruments(
    ctx: MarketDataContext,
    registry: ProviderRegistry,
    instrument_ids: Sequence[UUID],
    *,
    today: date | None = None,
) -> RefreshReport:
    end = today or ctx.clock().date()
    async with ctx.reading() as reads:
        instruments = [
            i for i in await reads.marketdata.instruments_by_ids(instrument_ids) if not i.is_manual
        ]
        newest = await reads.marketdata.latest_closes([i.id for i in instruments], [], end)
    report = RefreshReport(instruments=len(instruments))
    batches: dict[tuple[str, date], list[Instrument]] = defaultdict(list)
    for instrument in instruments:
        stored = newest.get(instrument.id)
        start = first_day_to_fetch(stored.day if stored else None, end)
        batches[(registry.provider_for(instrument), start)].append(instrument)
    # Fetching (provider I/O and parsing, in threads) and storing (PostgreSQL) overlap: while
    # one chunk is written, the next is fetched; at most STORE_CONCURRENCY chunks are
    # written at once, each in transactions of one instrument.
    writers = asyncio.Semaphore(STORE_CONCURRENCY)
    storing: list[asyncio.Task[None]] = []

    async def store(
        histories: dict[str, History], by_symbol: dict[str, Instrument], name: str
    ) -> None:
        async with writers:
            for symbol, history in histories.items():
                found = by_symbol.get(symbol)
                if found is None:
                    continue
                stored = await store_history(ctx, found.id, history, history.source or name)
                report.fetched += 1
                report.bars_written += stored.bars_written
                report.actions_written += stored.actions_written

    try:
        for (provider, start), batch in sorted(batches.items()):
            for chunk in _chunks(batch, FETCH_CHUNK):
                by_symbol = {i.provider_symbol or i.symbol: i for i in chunk}
                try:
                    histories = await registry.histories(
                        list(by_symbol), start, end, provider=provider
                    )
                except ProviderError:
                    report.unavailable.extend(sorted(i.symbol for i in chunk))
                    continue
                storing.append(asyncio.create_task(store(histories, by_symbol, provider)))
        await asyncio.gather(*storing)
    finally:
        for task in storing:
            task.cancel()
    return report


def _chunks(items: list[Instrument], size: int) -> list[list[Instrument]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
