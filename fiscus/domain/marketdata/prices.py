"""Daily prices, corporate actions, quotes and ticks.

Prices are stored unadjusted; splits and cash dividends are stored separately, so adjusted
series are derived, never stored twice. Every amount is a Decimal: a provider's float is
converted once, at the edge, with :func:`to_price`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from uuid import UUID

from fiscus.domain.marketdata.instruments import InstrumentKind


def to_price(value: float | int | str | Decimal, precision: int) -> Decimal:
    """A provider value as an exact price with ``precision`` decimal places. Floats go
    through ``str`` (their shortest repr), never ``Decimal(float)``'s binary expansion."""
    if isinstance(value, bool):
        raise TypeError("a price is not a boolean")
    try:
        exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not exact.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return exact.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class DailyBar:
    """One day of one instrument as a provider or a person gives it (unadjusted)."""

    day: date
    close: Decimal
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    volume: int | None = None


@dataclass(frozen=True, slots=True)
class DailyPrice:
    """A stored daily price: the bar, where it came from and when it was fetched."""

    instrument_id: UUID
    bar: DailyBar
    source: str
    fetched_at: datetime


class ActionKind(enum.StrEnum):
    SPLIT = "split"
    DIVIDEND = "dividend"


@dataclass(frozen=True, slots=True)
class CorporateAction:
    """A split (``ratio`` = new shares per old share: 2, 1.5, 0.25) or a cash dividend
    (``amount`` per share, in the instrument's currency), effective on ``day`` (ex-date)."""

    day: date
    kind: ActionKind
    ratio: Decimal | None = None
    amount: Decimal | None = None

    def __post_init__(self) -> None:
        if self.kind is ActionKind.SPLIT and (self.ratio is None or self.ratio <= 0):
            raise ValueError("a split needs a ratio > 0")
        if self.kind is ActionKind.DIVIDEND and (self.amount is None or self.amount < 0):
            raise ValueError("a dividend needs an amount >= 0")


@dataclass(frozen=True, slots=True)
class Quote:
    """The latest price a provider reports, with the day's change against the previous
    close."""

    symbol: str
    price: Decimal
    previous_close: Decimal | None
    day_volume: int | None
    at: datetime

    @property
    def change(self) -> Decimal | None:
        return None if self.previous_close is None else self.price - self.previous_close

    @property
    def change_percent(self) -> Decimal | None:
        if self.previous_close is None or self.previous_close == 0:
            return None
        change = self.price - self.previous_close
        return (change * 100 / self.previous_close).quantize(Decimal("0.0001"))


@dataclass(frozen=True, slots=True)
class InstrumentProfile:
    """What a provider says about a symbol (used to create a global instrument)."""

    symbol: str
    name: str
    kind: InstrumentKind
    currency: str
    exchange: str | None
    price_precision: int
    provider: str | None = None
    """The provider that answered (a registry with fallback fills it in)."""
