"""Market data: instruments, daily prices, corporate actions, quotes, FX rules."""

from fiscus.domain.marketdata.instruments import (
    Instrument,
    InstrumentKind,
    currency_pair_symbol,
    normalize_currency,
    normalize_symbol,
)
from fiscus.domain.marketdata.prices import (
    ActionKind,
    CorporateAction,
    DailyBar,
    DailyPrice,
    InstrumentProfile,
    Quote,
    to_price,
)

__all__ = [
    "ActionKind",
    "CorporateAction",
    "DailyBar",
    "DailyPrice",
    "Instrument",
    "InstrumentKind",
    "InstrumentProfile",
    "Quote",
    "currency_pair_symbol",
    "normalize_currency",
    "normalize_symbol",
    "to_price",
]
