"""Per-instrument arrays over the valuation calendar: the local close ``P[k]``, the rate
``X[k]``, the unit value in the base currency ``U[k] = P[k] * X[k]``, the currency move
``P[k] * (X[k] - X[k-1])`` and the days whose close was carried or stood in for."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.portfolios.model import Transaction, TransactionType
from fiscus.domain.portfolios.valuation.history import Aligned, FxHistory, PriceHistory, align

_T = TransactionType
_PRICED = frozenset({_T.BUY, _T.SELL, _T.DIVIDEND})
LOT_TYPES = frozenset({_T.BUY, _T.SELL, _T.DIVIDEND, _T.SPLIT, _T.TRANSFER_IN, _T.TRANSFER_OUT})
"""Rows that may change an instrument's quantity (a DIVIDEND only when reinvested)."""
_ZERO = Decimal(0)


class InstrumentMarket:
    __slots__ = ("carried", "close", "currency", "foreign", "fx", "move", "unit")

    def __init__(
        self,
        currency: str,
        close: list[Decimal | None],
        fx: list[Decimal | None] | None,
        carried: list[int],
    ) -> None:
        self.currency = currency
        self.close = close
        self.fx = fx
        self.foreign = fx is not None
        self.carried = carried
        if fx is None:
            self.unit = close
            self.move: list[Decimal] = []
        else:
            self.unit = [
                p * x if p is not None and x is not None else None
                for p, x in zip(close, fx, strict=True)
            ]
            self.move = [_ZERO] + [
                p * (x - x0) if p is not None and x is not None and x0 is not None else _ZERO
                for p, x, x0 in zip(close[1:], fx[1:], fx, strict=False)
            ]

    def carried_within(self, start: int, stop: int) -> list[int]:
        at = bisect_left(self.carried, start)
        out: list[int] = []
        while at < len(self.carried) and self.carried[at] < stop:
            out.append(self.carried[at])
            at += 1
        return out


def _weekdays(first: date, days: int) -> set[int]:
    offset = first.weekday()
    return {k for k in range(days) if (offset + k) % 7 < 5}


def _stand_in_prices(rows: Sequence[Transaction]) -> list[tuple[date, Decimal]]:
    marks: list[tuple[date, Decimal]] = []
    for tx in rows:
        if tx.type in _PRICED and tx.price is not None:
            marks.append((tx.date, tx.price))
        elif tx.type is _T.TRANSFER_IN and tx.transferred_lots:
            quantity = sum((lot.quantity for lot in tx.transferred_lots), _ZERO)
            local = sum((lot.cost_local for lot in tx.transferred_lots), _ZERO)
            marks.append((tx.date, local / quantity))
        elif tx.type is _T.SPLIT and marks and tx.ratio:
            marks.append((tx.date, marks[-1][1] / tx.ratio))
    return marks


def build_markets(
    rows: Sequence[Transaction],
    prices: Mapping[UUID, PriceHistory],
    fx: Mapping[str, FxHistory],
    base_currency: str,
    first: date,
    days: int,
) -> dict[UUID, InstrumentMarket]:
    """Arrays for every instrument whose quantity ``rows`` (in replay order) may change."""
    by_instrument: dict[UUID, list[Transaction]] = {}
    rates_seen: dict[str, list[tuple[date, Decimal]]] = {}
    for tx in rows:
        rates_seen.setdefault(tx.currency, []).append((tx.date, tx.fx_rate))
        if tx.instrument_id is not None and tx.type in LOT_TYPES:
            by_instrument.setdefault(tx.instrument_id, []).append(tx)
    weekdays = _weekdays(first, days)
    fx_cache: dict[str, Aligned] = {}
    markets: dict[UUID, InstrumentMarket] = {}
    for instrument_id, own in by_instrument.items():
        history = prices.get(instrument_id)
        currency = history.currency if history is not None else own[0].currency
        close = align(
            first,
            days,
            history.dates if history is not None else (),
            history.closes if history is not None else (),
            _stand_in_prices(own),
        )
        carried = (weekdays - close.real) | set(range(min(close.first_real, days)))
        rates: list[Decimal | None] | None = None
        if currency != base_currency:
            aligned = fx_cache.get(currency)
            if aligned is None:
                rate_history = fx.get(currency)
                aligned = align(
                    first,
                    days,
                    rate_history.dates if rate_history is not None else (),
                    rate_history.rates if rate_history is not None else (),
                    rates_seen.get(currency, ()),
                )
                fx_cache[currency] = aligned
            rates = aligned.values
            carried |= set(range(min(aligned.first_real, days)))
        markets[instrument_id] = InstrumentMarket(currency, close.values, rates, sorted(carried))
    return markets


def scaled_sum(
    into: list[Decimal], start: int, stop: int, factor: Decimal, values: Sequence[Decimal | None]
) -> None:
    """``into[k] += factor * values[k]`` for ``start <= k < stop`` (at C speed)."""
    part = values[start:stop]
    if None in part:
        raise ValueError("No price or rate for a day an instrument is held.")
    into[start:stop] = map(Decimal.__add__, into[start:stop], map(factor.__mul__, part))  # type: ignore[arg-type]
