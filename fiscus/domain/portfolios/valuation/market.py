"""Arrays over the valuation calendar: per instrument the local close ``P[k]`` and the days
whose close was carried or stood in for; per foreign currency the rate ``X[k]`` and its
move ``X[k] - X[k-1]``. Values are summed per currency in local units, then converted once
a day (``sum_i q_i * P_i * X = X * sum_i q_i * P_i``)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from itertools import chain, repeat
from operator import add, mul, sub
from uuid import UUID

from fiscus.domain.portfolios.kinds import LOT_TYPES, PRICED, SPLIT, TRANSFER_IN
from fiscus.domain.portfolios.model import Transaction
from fiscus.domain.portfolios.valuation.history import FxHistory, PriceHistory, align

_ZERO = Decimal(0)


class CurrencyMarket:
    """A foreign currency's rates; ``first``: the first day with a rate (None before)."""

    __slots__ = ("delta", "first", "rates")

    def __init__(self, rates: list[Decimal | None]) -> None:
        self.rates = rates
        self.first = first = _first_known(rates)
        # delta[k] = X[k] - X[k-1]; 0 on the first day with a rate and before it
        self.delta: list[Decimal] = [_ZERO] * (first + 1)
        self.delta.extend(map(sub, rates[first + 1 :], rates[first:-1]))
        del self.delta[len(rates) :]


class InstrumentMarket:
    __slots__ = ("carried", "close", "currency", "foreign", "instrument_id")

    def __init__(
        self,
        instrument_id: UUID,
        currency: str,
        close: list[Decimal | None],
        foreign: CurrencyMarket | None,
        carried: list[int],
    ) -> None:
        self.instrument_id = instrument_id
        self.currency = currency
        self.close = close
        self.foreign = foreign
        self.carried = carried

    def unit(self, k: int) -> Decimal:
        """The value of one unit on day ``k`` in the base currency, ``P[k] * X[k]``."""
        close = self.close[k]
        if close is None:
            raise ValueError("No price for a day an instrument is held.")
        if self.foreign is None:
            return close
        rate = self.foreign.rates[k]
        if rate is None:
            raise ValueError("No rate for a day an instrument is held.")
        return close * rate

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
) -> tuple[dict[int, InstrumentMarket], dict[str, CurrencyMarket]]:
    """Arrays for every instrument whose quantity ``rows`` (in replay order) may change,
    by ``instrument_id.int``, and for the foreign currencies they are quoted in."""
    by_instrument: dict[int, list[Transaction]] = {}
    for tx in rows:
        if tx.instrument_id is not None and tx.type in LOT_TYPES:
            by_instrument.setdefault(tx.instrument_id.int, []).append(tx)
    weekdays = _weekdays(first, days)
    currencies: dict[str, CurrencyMarket] = {}
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
        foreign: CurrencyMarket | None = None
        if currency != base_currency:
            foreign = currencies.get(currency)
            if foreign is None:
                foreign = currencies[currency] = _currency(
                    rows, fx.get(currency), currency, first, days
                )
            carried |= set(range(min(foreign.first, days)))
        markets[key] = InstrumentMarket(
            instrument_id, currency, close.values, foreign, sorted(carried)
        )
    return markets, currencies


def _currency(
    rows: Sequence[Transaction], history: FxHistory | None, code: str, first: date, days: int
) -> CurrencyMarket:
    """Rates carried forward; before the first one, the rows' own ``fx_rate`` stand in."""
    seen_from = history.dates[0] if history is not None and history.dates else None
    stand_ins = [
        (tx.date, tx.fx_rate)
        for tx in rows
        if tx.currency == code and (seen_from is None or tx.date < seen_from)
    ]
    aligned = align(
        first,
        days,
        history.dates if history is not None else (),
        history.rates if history is not None else (),
        stand_ins,
    )
    return CurrencyMarket(aligned.values)


def add_held_value(
    into: list[Decimal],
    changes: Sequence[tuple[int, Decimal]],
    closes: Sequence[Decimal | None],
    days: int,
) -> None:
    """``into[k] += q(k) * closes[k]`` for every day, ``q`` the step function ``changes``
    ((first day, units from then on), ascending). Two passes in C over the whole calendar
    rather than one per step: per-step slicing costs more than multiplying by zero."""
    starts = [first for first, _ in changes]
    gaps = list(map(sub, [*starts[1:], days], starts))
    quantities = [_ZERO] * starts[0]
    quantities.extend(chain.from_iterable(map(repeat, (q for _, q in changes), gaps)))
    known = _first_known(closes)
    if any(quantities[:known]):
        raise ValueError("No price for a day an instrument is held.")
    into[known:] = map(add, into[known:], map(mul, quantities[known:], closes[known:]))
