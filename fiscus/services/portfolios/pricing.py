"""Market data a portfolio needs: instruments by symbol, FX rates by day and price histories,
each read in a handful of statements however many rows ask.

FX follows ``fiscus.domain.marketdata.fx`` exactly (direct pair, inverse, crossed through
USD; last observation carried forward): ``FxTable.rate(currency, day)`` is what
``fx_rate(base=currency, quote=portfolio base, day)`` answers, i.e. units of the portfolio's
base currency per unit of ``currency`` on ``day`` -- a transaction's ``fx_rate``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from fiscus.domain.marketdata import FxRateNotFound, Instrument, Observation
from fiscus.domain.marketdata import fx as fx_rules
from fiscus.persistence.reads.repositories import Reads


@dataclass(frozen=True, slots=True)
class History:
    """Closes oldest first; ``at(day)`` is the close that holds on ``day`` (LOCF)."""

    days: list[date]
    closes: list[Decimal]

    @classmethod
    def of(cls, points: Sequence[tuple[date, Decimal]]) -> History:
        return cls([d for d, _ in points], [c for _, c in points])

    def at(self, day: date) -> tuple[date, Decimal] | None:
        index = bisect.bisect_right(self.days, day) - 1
        if index < 0:
            return None
        return self.days[index], self.closes[index]


@dataclass
class FxTable:
    """FX rates into ``base`` from the CURRENCY pairs' closes (see the module docstring)."""

    base: str
    pairs: dict[str, History]
    _memo: dict[tuple[str, date], Decimal] = field(default_factory=dict)

    def rate(self, currency: str, day: date) -> Decimal:
        """Base units per unit of ``currency`` on ``day``; FxRateNotFound when no pair
        connects them on or before that day."""
        if currency == self.base:
            return Decimal(1)
        key = (currency, day)
        found = self._memo.get(key)
        if found is None:
            observations: dict[str, Observation] = {}
            for symbol, history in self.pairs.items():
                point = history.at(day)
                if point is not None:
                    observations[symbol] = Observation(symbol, point[1], point[0])
            found = fx_rules.rate(currency, self.base, day, observations).rate
            self._memo[key] = found
        return found

    def try_rate(self, currency: str, day: date) -> Decimal | None:
        try:
            return self.rate(currency, day)
        except FxRateNotFound:
            return None

    def series(self, currency: str, start: date, end: date) -> tuple[list[date], list[Decimal]]:
        """The rate on every day a pair moved in [start, end] (and on ``start``), for
        valuations; days without a rate yet are left out."""
        days = {start}
        for history in self.pairs.values():
            low = bisect.bisect_left(history.days, start)
            high = bisect.bisect_right(history.days, end)
            days.update(history.days[low:high])
        dates: list[date] = []
        rates: list[Decimal] = []
        for day in sorted(days):
            value = self.try_rate(currency, day)
            if value is not None:
                dates.append(day)
                rates.append(value)
        return dates, rates


def fx_symbols(base: str, currencies: Iterable[str]) -> list[str]:
    symbols: dict[str, None] = {}
    for currency in currencies:
        if currency != base:
            symbols.update(dict.fromkeys(fx_rules.candidate_symbols(currency, base)))
    return list(symbols)


async def fx_table(
    reads: Reads, base: str, currencies: Iterable[str], start: date, end: date
) -> FxTable:
    """Rates from ``currencies`` into ``base`` for any day in [start, end] (one statement)."""
    symbols = fx_symbols(base, set(currencies))
    if not symbols:
        return FxTable(base, {})
    found = await reads.portfolios.currency_histories(symbols, start, end)
    return FxTable(base, {s: History.of(points) for s, points in found.items()})


async def fx_tables(
    reads: Reads, bases: Iterable[str], currencies: Iterable[str], start: date, end: date
) -> dict[str, FxTable]:
    """``fx_table`` for several base currencies at once (one statement for all)."""
    wanted = set(currencies)
    by_base = {base: fx_symbols(base, wanted) for base in set(bases)}
    symbols = sorted({s for found in by_base.values() for s in found})
    found = await reads.portfolios.currency_histories(symbols, start, end) if symbols else {}
    histories = {s: History.of(points) for s, points in found.items()}
    return {
        base: FxTable(base, {s: histories[s] for s in wanted_symbols if s in histories})
        for base, wanted_symbols in by_base.items()
    }


async def instruments_by_symbols(reads: Reads, symbols: Iterable[str]) -> dict[str, Instrument]:
    """The organization's manual instruments first, then global ones (one statement)."""
    wanted = sorted(set(symbols))
    if not wanted:
        return {}
    return {i.symbol: i for i in await reads.marketdata.instruments_by_symbols(wanted)}


async def instruments_by_ids(reads: Reads, ids: Iterable[UUID]) -> dict[UUID, Instrument]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {i.id: i for i in await reads.marketdata.instruments_by_ids(wanted)}


async def price_histories(
    reads: Reads, instruments: Mapping[UUID, Instrument], start: date, end: date
) -> dict[UUID, History]:
    """Each instrument's closes in [start, end] led by the last one before (two statements
    at most: global and manual instruments)."""
    global_ids = [i for i, found in instruments.items() if not found.is_manual]
    manual_ids = [i for i, found in instruments.items() if found.is_manual]
    found = await reads.portfolios.price_histories(
        global_ids, manual_ids, start - timedelta(days=1), end
    )
    return {i: History.of(points) for i, points in found.items()}
