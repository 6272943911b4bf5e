"""Per-instrument arrays over the valuation calendar: the local close ``P[k]``, the rate
``X[k]``, the unit value in the base currency ``U[k] = P[k] * X[k]``, the currency move
``P[k] * (X[k] - X[k-1])`` and the days whose close was carried or stood in for."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from operator import mul, sub
from uuid import UUID

from fiscus.domain.portfolios.kinds import LOT_TYPES, PRICED, SPLIT, TRANSFER_IN
from fiscus.domain.portfolios.model import Transaction
from fiscus.domain.portfolios.valuation.history import Aligned, FxHistory, PriceHistory, align

_ZERO = Decimal(0)


class InstrumentMarket:
    __slots__ = ("carried", "close", "currency", "foreign", "fx", "instrument_id", "move", "unit")

    def __init__(
        self,
        instrument_id: UUID,
        currency: str,
        close: list[Decimal | None],
        fx: list[Decimal | None] | None,
        carried: list[int],
    ) -> None:
        self.instrument_id = instrument_id
        self.currency = currency
        self.close = close
        self.fx = fx
        self.foreign = fx is not None
        self.carried = carried
        if fx is None:
            self.unit = close
            self.move: list[Decimal] = []
        else:
            # From the first day with both a close and a rate on, neither is None again.
            first = max(_first_known(close), _first_known(fx))
            self.unit = [None] * first + list(map(mul, close[first:], fx[first:]))
            # move[k] = P[k] * (X[k] - X[k-1])
            changes = map(sub, fx[first + 1 :], fx[first:-1])
            self.move = [_ZERO] * (first + 1) + list(map(mul, close[first + 1 :], changes))
            del self.move[len(close) :]

    def carried_within(self, start: int, stop: int) -> list[int]:
        at = bisect_left(self.carried, start)
        out: list[int] = []
        while at < len(self.carried) and self.carried[at] < stop:
            out.append(self.carried[at])
            at += 1
        return out


def _first_known(values: Sequence[Decimal | None]) -> int:
    for k, value in enumerate(values):
        if value is not None:
            return k
    return len(values)


def _weekdays(first: date, days: int) -> set[int]:
    offset = first.weekday()
    found: set[int] = set()
    for weekday in range(5):
        found.update(range((weekday - offset) % 7, days, 7))
    return found


def _stand_in_prices(rows: Sequence[Transaction]) -> list[tuple[date, Decimal]]:
    marks: list[tuple[date, Decimal]] = []
    for tx in rows:
        if tx.type in PRICED and tx.price is not None:
            marks.append((tx.date, tx.price))
        elif tx.type is TRANSFER_IN and tx.transferred_lots:
            quantity = sum((lot.quantity for lot in tx.transferred_lots), _ZERO)
            local = sum((lot.cost_local for lot in tx.transferred_lots), _ZERO)
            marks.append((tx.date, local / quantity))
        elif tx.type is SPLIT and marks and tx.ratio:
            marks.append((tx.date, marks[-1][1] / tx.ratio))
    return marks


def build_markets(
    rows: Sequence[Transaction],
    prices: Mapping[UUID, PriceHistory],
    fx: Mapping[str, FxHistory],
    base_currency: str,
    first: date,
    days: int,
) -> dict[int, InstrumentMarket]:
    """Arrays for every instrument whose quantity ``rows`` (in replay order) may change,
    by ``instrument_id.int``."""
    by_instrument: dict[int, list[Transaction]] = {}
    for tx in rows:
        if tx.instrument_id is not None and tx.type in LOT_TYPES:
            by_instrument.setdefault(tx.instrument_id.int, []).append(tx)
    weekdays = _weekdays(first, days)
    fx_cache: dict[str, Aligned] = {}
    markets: dict[int, InstrumentMarket] = {}
    for key, own in by_instrument.items():
        instrument_id = own[0].instrument_id
        assert instrument_id is not None
        history = prices.get(instrument_id)
        currency = history.currency if history is not None else own[0].currency
        if history is not None and history.dates and history.dates[0] <= own[0].date:
            stand_ins: list[tuple[date, Decimal]] = []  # priced from the first row on
        else:
            stand_ins = _stand_in_prices(own)
        close = align(
            first,
            days,
            history.dates if history is not None else (),
            history.closes if history is not None else (),
            stand_ins,
        )
        carried = (weekdays - close.real) | set(range(min(close.first_real, days)))
        rates: list[Decimal | None] | None = None
        if currency != base_currency:
            aligned = fx_cache.get(currency)
            if aligned is None:
                rate_history = fx.get(currency)
                if rate_history is not None and rate_history.dates:
                    seen_from = rate_history.dates[0]
                    rates_seen = [
                        (tx.date, tx.fx_rate)
                        for tx in rows
                        if tx.currency == currency and tx.date < seen_from
                    ]
                else:
                    rates_seen = [(tx.date, tx.fx_rate) for tx in rows if tx.currency == currency]
                aligned = align(
                    first,
                    days,
                    rate_history.dates if rate_history is not None else (),
                    rate_history.rates if rate_history is not None else (),
                    rates_seen,
                )
                fx_cache[currency] = aligned
            rates = aligned.values
            carried |= set(range(min(aligned.first_real, days)))
        markets[key] = InstrumentMarket(
            instrument_id, currency, close.values, rates, sorted(carried)
        )
    return markets


def scaled_sum(
    into: list[Decimal], start: int, stop: int, factor: Decimal, values: Sequence[Decimal | None]
) -> None:
    """``into[k] += factor * values[k]`` for ``start <= k < stop`` (at C speed). ``values``
    carry forward, so once one is known every later one is."""
    part = values[start:stop]
    if part and part[0] is None:
        raise ValueError("No price or rate for a day an instrument is held.")
    into[start:stop] = map(Decimal.__add__, into[start:stop], map(factor.__mul__, part))  # type: ignore[arg-type]
