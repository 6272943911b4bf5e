"""The random walks behind the simulated provider.

Every symbol's series is generated day by day from its listing day by a
``random.Random(f"{seed}:{symbol}")``: seeding with a string hashes it with SHA-512, never
with ``hash()``, so the same seed and symbol give the same series on every machine and
under every PYTHONHASHSEED, whatever range is asked for (a range is a slice of one series).

The walk is geometric Brownian motion on the unadjusted price, with a split when the
price runs past the symbol's threshold (the price divides by the ratio that day) and a
quarterly cash dividend (the price drops by the amount on the ex-date). Floats stay inside;
bars leave as Decimals through ``to_price``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from fiscus.domain.marketdata import ActionKind, CorporateAction, DailyBar, to_price
from fiscus.marketdata.providers.simulated.catalogue import EPOCH, SimulatedSymbol

TRADING_DAYS_PER_YEAR = 252
MINUTES_PER_TRADING_DAY = 390
DIVIDEND_MONTHS = (2, 5, 8, 11)
DIVIDEND_PRECISION = 4
HOLIDAYS = ((1, 1), (12, 25))


def is_market_day(spec: SimulatedSymbol, day: date) -> bool:
    if spec.every_day:
        return True
    return day.weekday() < 5 and (day.month, day.day) not in HOLIDAYS


class SimulatedSeries:
    """One symbol's daily bars and actions, generated lazily up to the latest day asked."""

    def __init__(self, spec: SimulatedSymbol, seed: int) -> None:
        self.spec = spec
        self.bars: list[DailyBar] = []
        self.actions: list[CorporateAction] = []
        self.last_close = spec.start_price
        self._rng = random.Random(f"{seed}:{spec.symbol}")
        self._next = max(EPOCH, spec.listed)
        self._dividend_quarters: set[tuple[int, int]] = set()
        per_year = 365 if spec.every_day else TRADING_DAYS_PER_YEAR
        self._dt = 1 / per_year
        self._step_sigma = spec.volatility * math.sqrt(self._dt)
        self._unit = Decimal(1).scaleb(-spec.precision)

    def extend_to(self, last: date) -> None:
        while self._next <= last:
            day = self._next
            self._next += timedelta(days=1)
            if is_market_day(self.spec, day):
                self._step(day)

    def _step(self, day: date) -> None:
        spec, rng = self.spec, self._rng
        previous = self.last_close
        if spec.splits and previous > spec.split_above:
            ratio = rng.choice((2, 3, 4))
            previous /= ratio
            self.actions.append(CorporateAction(day, ActionKind.SPLIT, ratio=Decimal(ratio)))
        quarter = (day.year, day.month)
        if (
            spec.dividend_yield > 0
            and day.month in DIVIDEND_MONTHS
            and day.day >= 15
            and quarter not in self._dividend_quarters
        ):
            self._dividend_quarters.add(quarter)
            amount = to_price(previous * spec.dividend_yield / 4, DIVIDEND_PRECISION)
            if amount > 0:
                self.actions.append(CorporateAction(day, ActionKind.DIVIDEND, amount=amount))
                previous -= float(amount)
        drift = (spec.drift + spec.dividend_yield - spec.volatility**2 / 2) * self._dt
        close = previous * math.exp(drift + self._step_sigma * rng.gauss(0.0, 1.0))
        opening = previous * math.exp(self._step_sigma * 0.3 * rng.gauss(0.0, 1.0))
        high = max(opening, close) * (1 + abs(rng.gauss(0.0, self._step_sigma * 0.4)))
        low = min(opening, close) * (1 - abs(rng.gauss(0.0, self._step_sigma * 0.4)))
        volume = int(spec.base_volume * rng.lognormvariate(0.0, 0.4)) if spec.base_volume else None
        self.last_close = close
        c, o = self._price(close), self._price(opening)
        self.bars.append(
            DailyBar(
                day=day,
                close=c,
                open=o,
                high=max(self._price(high), c, o),
                low=min(self._price(low), c, o),
                volume=volume,
            )
        )

    def _price(self, value: float) -> Decimal:
        return max(to_price(value, self.spec.precision), self._unit)


@dataclass(slots=True)
class TickWalk:
    """A symbol's live walk from its last daily close: each tick stands for one minute of
    trading (so a demo moves visibly); deterministic for a seed, symbol and start second."""

    spec: SimulatedSymbol
    price: float
    previous_close: Decimal
    rng: random.Random
    day_volume: int = 0

    @classmethod
    def start(cls, spec: SimulatedSymbol, seed: int, started: int, last_close: Decimal) -> TickWalk:
        rng = random.Random(f"{seed}:{spec.symbol}:stream:{started}")
        return cls(spec, float(last_close), last_close, rng)

    def step(self) -> tuple[Decimal, int | None]:
        sigma = self.spec.volatility / math.sqrt(TRADING_DAYS_PER_YEAR * MINUTES_PER_TRADING_DAY)
        self.price *= math.exp(sigma * self.rng.gauss(0.0, 1.0))
        if self.spec.base_volume:
            per_minute = self.spec.base_volume / MINUTES_PER_TRADING_DAY
            self.day_volume += int(per_minute * self.rng.lognormvariate(0.0, 0.5))
        unit = Decimal(1).scaleb(-self.spec.precision)
        price = max(to_price(self.price, self.spec.precision), unit)
        return price, (self.day_volume if self.spec.base_volume else None)
