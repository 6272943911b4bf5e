"""Closes of one instrument in another currency, carried into analytics: a benchmark, or
the risk-free rate's instrument. Symbols resolve as everywhere (the organization's manual
instrument first, then the global one)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from fiscus.domain.analytics import Closes
from fiscus.domain.errors import ErrorCode, FieldIssue, NotFound, ValidationFailed
from fiscus.domain.marketdata import Instrument, normalize_symbol
from fiscus.persistence.reads.repositories import Reads
from fiscus.services.portfolios import pricing


async def instrument_closes(
    reads: Reads, symbol: str, currency: str | None, start: date, end: date, *, field: str
) -> tuple[Instrument, Closes]:
    """Closes in [start, end] led by the last one before; in ``currency`` at each close's
    day rate (None: as quoted). A close without a rate that day is left out."""
    wanted = normalize_symbol(symbol, field_name=field)
    instrument = (await pricing.instruments_by_symbols(reads, [wanted])).get(wanted)
    if instrument is None:
        raise NotFound(f"No instrument {wanted}.", field=field)
    history = (await pricing.price_histories(reads, {instrument.id: instrument}, start, end)).get(
        instrument.id
    )
    if history is None or not history.days or history.days[0] > start:
        raise ValidationFailed(
            [
                FieldIssue(
                    field,
                    ErrorCode.NO_PRICES,
                    f"{wanted} has no close on or before {start.isoformat()}.",
                )
            ]
        )
    if currency is None or instrument.currency == currency:
        return instrument, Closes(history.days, history.closes)
    table = await pricing.fx_table(
        reads, currency, {instrument.currency}, history.days[0] - timedelta(days=1), end
    )
    days: list[date] = []
    closes: list[Decimal] = []
    for day, close in zip(history.days, history.closes, strict=True):
        rate = table.try_rate(instrument.currency, day)
        if rate is not None:
            days.append(day)
            closes.append(close * rate)
    if not days or days[0] > start:
        raise ValidationFailed(
            [
                FieldIssue(
                    field,
                    ErrorCode.NO_PRICES,
                    f"No {instrument.currency}/{currency} rate for {wanted} on or before "
                    f"{start.isoformat()}.",
                )
            ]
        )
    return instrument, Closes(days, closes)
