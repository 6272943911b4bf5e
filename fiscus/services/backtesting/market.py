"""What a backtest simulates on: each instrument's stored daily closes in ``[start, end]``
(led by the last one before), splits and cash dividends, all in the backtest's currency
(closes and dividends converted at their day's rate; a day without a rate is left out).
Five statements at most, however many instruments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.backtesting import InstrumentPrices
from fiscus.domain.marketdata import ActionKind
from fiscus.persistence.reads.repositories import Reads
from fiscus.services.portfolios import pricing


async def load_market(
    reads: Reads, ids: set[UUID], currency: str, start: date, end: date
) -> dict[UUID, InstrumentPrices]:
    instruments = await pricing.instruments_by_ids(reads, ids)
    histories = await pricing.price_histories(reads, instruments, start, end)
    actions = await reads.analytics.corporate_actions(
        [i for i, found in instruments.items() if not found.is_manual], start, end
    )
    foreign = {i.currency for i in instruments.values()} - {currency}
    first = min((h.days[0] for h in histories.values() if h.days), default=start)
    table = await pricing.fx_table(reads, currency, foreign, first, end) if foreign else None
    market: dict[UUID, InstrumentPrices] = {}
    for instrument_id, instrument in instruments.items():
        history = histories.get(instrument_id)
        if history is None:
            continue

        def rate(day: date, quoted: str = instrument.currency) -> Decimal | None:
            if table is None or quoted == currency:
                return Decimal(1)
            return table.try_rate(quoted, day)

        dates: list[date] = history.days
        closes: list[Decimal] = history.closes
        if instrument.currency != currency:
            dates, closes = [], []
            for day, close in zip(history.days, history.closes, strict=True):
                found = rate(day)
                if found is not None:
                    dates.append(day)
                    closes.append(close * found)
        splits: list[tuple[date, Decimal]] = []
        dividends: list[tuple[date, Decimal]] = []
        for action in actions.get(instrument_id, []):
            if action.kind is ActionKind.SPLIT and action.ratio:
                splits.append((action.day, action.ratio))
            elif action.kind is ActionKind.DIVIDEND and action.amount:
                found = rate(action.day)
                if found is not None:
                    dividends.append((action.day, action.amount * found))
        market[instrument_id] = InstrumentPrices(instrument_id, dates, closes, splits, dividends)
    return market
