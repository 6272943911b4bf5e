"""Market data: instruments, daily prices, corporate actions, quotes, FX rules."""

from fiscus.domain.marketdata.fx import FxRate, FxRateNotFound, Observation
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
from fiscus.domain.marketdata.series import (
    Cadence,
    SeriesPoint,
    adjusted_closes,
    cadence_of,
    carry_forward,
    is_stale,
)

__all__ = [
    "ActionKind",
    "Cadence",
    "CorporateAction",
    "DailyBar",
    "DailyPrice",
    "FxRate",
    "FxRateNotFound",
    "Instrument",
    "InstrumentKind",
    "InstrumentProfile",
    "Observation",
    "Quote",
    "SeriesPoint",
    "adjusted_closes",
    "cadence_of",
    "carry_forward",
    "currency_pair_symbol",
    "is_stale",
    "normalize_currency",
    "normalize_symbol",
    "to_price",
]
