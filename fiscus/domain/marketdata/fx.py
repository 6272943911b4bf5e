"""FX rates from CURRENCY instruments: ``EURUSD=X`` prices one EUR in USD.

``rate(base, quote, day, observations)`` answers how many ``quote`` one ``base`` buys on
``day``, from the latest closes on or before ``day`` (last observation carried forward),
trying in order: the same currency (1); the direct pair ``BASEQUOTE=X``; the inverse pair
``QUOTEBASE=X`` (1 / rate); crossed through USD, each leg direct or inverse
(``BASE->USD * USD->QUOTE``). Inverses and crosses are exact Decimal arithmetic quantized
to ``RATE_PRECISION`` (10) decimal places, half-even; a direct pair is returned as stored.
Every answer carries the symbols it used (``path``), the oldest as-of date among them and
whether any was stale (CURRENCY cadence: every day). Nothing usable: ``FxRateNotFound``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from fiscus.domain.errors import NotFound
from fiscus.domain.marketdata.instruments import InstrumentKind, currency_pair_symbol
from fiscus.domain.marketdata.series import is_stale

RATE_PRECISION = 10
_QUANTUM = Decimal(1).scaleb(-RATE_PRECISION)
PIVOT = "USD"


class FxRateNotFound(NotFound):
    def __init__(self, base: str, quote: str, day: date) -> None:
        super().__init__(f"No FX rate for {base}/{quote} on or before {day.isoformat()}.")
        self.base = base
        self.quote = quote
        self.day = day


@dataclass(frozen=True, slots=True)
class Observation:
    """The latest close of a pair symbol on or before the day asked about."""

    symbol: str
    close: Decimal
    as_of: date


@dataclass(frozen=True, slots=True)
class FxRate:
    base: str
    quote: str
    day: date
    rate: Decimal
    path: tuple[str, ...]
    as_of: date
    """The oldest as-of date of the prices used (``day`` for the same currency)."""
    is_stale: bool


def candidate_symbols(base: str, quote: str) -> list[str]:
    """Every pair symbol ``rate`` may look at for (base, quote)."""
    symbols = [currency_pair_symbol(base, quote), currency_pair_symbol(quote, base)]
    for currency in (base, quote):
        if currency != PIVOT:
            symbols += [
                currency_pair_symbol(currency, PIVOT),
                currency_pair_symbol(PIVOT, currency),
            ]
    return list(dict.fromkeys(symbols))


def rate(base: str, quote: str, day: date, observations: Mapping[str, Observation]) -> FxRate:
    if base == quote:
        return FxRate(base, quote, day, Decimal(1), (), day, False)
    leg = _leg(base, quote, observations)
    if leg is not None:
        value, used = leg
        return _answer(base, quote, day, value, (used,))
    if PIVOT not in (base, quote):
        first = _leg(base, PIVOT, observations)
        second = _leg(PIVOT, quote, observations)
        if first is not None and second is not None:
            value = (first[0] * second[0]).quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
            return _answer(base, quote, day, value, (first[1], second[1]))
    raise FxRateNotFound(base, quote, day)


def _leg(
    base: str, quote: str, observations: Mapping[str, Observation]
) -> tuple[Decimal, Observation] | None:
    direct = observations.get(currency_pair_symbol(base, quote))
    if direct is not None and direct.close > 0:
        return direct.close, direct
    inverse = observations.get(currency_pair_symbol(quote, base))
    if inverse is not None and inverse.close > 0:
        return (1 / inverse.close).quantize(_QUANTUM, rounding=ROUND_HALF_EVEN), inverse
    return None


def _answer(
    base: str, quote: str, day: date, value: Decimal, used: tuple[Observation, ...]
) -> FxRate:
    as_of = min(o.as_of for o in used)
    stale = any(is_stale(o.as_of, day, InstrumentKind.CURRENCY) for o in used)
    return FxRate(base, quote, day, value, tuple(o.symbol for o in used), as_of, stale)
