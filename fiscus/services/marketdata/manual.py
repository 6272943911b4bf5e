"""Manual instruments (what no provider covers) and their prices, entered or imported.

One transaction per use case; every change is audit-logged and published on the
organization's activity channel after commit. A batch of prices is all or nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.marketdata import (
    DailyBar,
    Instrument,
    InstrumentKind,
    normalize_currency,
    normalize_symbol,
)
from fiscus.domain.marketdata.instruments import MAX_PRICE_PRECISION
from fiscus.persistence.models.marketdata import ManualInstrumentRow
from fiscus.persistence.uow import UnitOfWork
from fiscus.services.identity import audit
from fiscus.services.marketdata.context import MarketDataContext
from fiscus.services.marketdata.price_rows import PriceRowInput, api_rows, check_rows, parse_csv

MAX_CSV_BYTES = 800_000  # under the HTTP body limit (1 MiB) with JSON escaping


@dataclass(frozen=True, slots=True)
class PricesRecorded:
    instrument: Instrument
    received: int
    written: int
    """Days inserted or changed; days sent again unchanged are not rewritten."""


async def create_manual_instrument(
    ctx: MarketDataContext,
    principal: Principal,
    *,
    symbol: str,
    name: str,
    kind: str,
    currency: str,
    exchange: str | None = None,
    price_precision: int = 2,
) -> Instrument:
    issues: list[FieldIssue] = []
    checked_symbol = _collect(issues, lambda: normalize_symbol(symbol))
    checked_currency = _collect(issues, lambda: normalize_currency(currency))
    clean_name = name.strip()
    if not clean_name:
        issues.append(FieldIssue("name", "REQUIRED", "A name is required."))
    elif len(clean_name) > 200:
        issues.append(FieldIssue("name", "TOO_LONG", "A name is at most 200 characters."))
    try:
        checked_kind = InstrumentKind(kind.lower())
    except ValueError:
        issues.append(FieldIssue("kind", "INVALID", "Unknown instrument kind."))
    clean_exchange = exchange.strip() if exchange and exchange.strip() else None
    if clean_exchange and len(clean_exchange) > 32:
        issues.append(FieldIssue("exchange", "TOO_LONG", "An exchange is at most 32 characters."))
    if not 0 <= price_precision <= MAX_PRICE_PRECISION:
        issues.append(
            FieldIssue(
                "pricePrecision",
                "INVALID",
                f"Price precision is 0 to {MAX_PRICE_PRECISION} decimal places.",
            )
        )
    if issues:
        raise ValidationFailed(issues)
    assert checked_symbol is not None and checked_currency is not None
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        repo = uow.marketdata
        if await repo.global_by_symbol(checked_symbol) or await repo.manual_by_symbol(
            checked_symbol
        ):
            raise ValidationFailed(
                [
                    FieldIssue(
                        "symbol",
                        "SYMBOL_TAKEN",
                        f"{checked_symbol} already names an instrument; choose another symbol.",
                    )
                ]
            )
        row = await repo.add_manual(
            ManualInstrumentRow(
                org_id=principal.org_id,
                id=uuid.uuid4(),
                symbol=checked_symbol,
                name=clean_name,
                kind=checked_kind.value,
                currency=checked_currency,
                exchange=clean_exchange,
                price_precision=price_precision,
                created_by=principal.user_id,
                created_at=now,
            )
        )
        await audit.record_by(
            uow,
            principal,
            action="instrument.created",
            subject_type="instrument",
            subject_id=row.id,
            at=now,
            details={"symbol": checked_symbol, "kind": checked_kind.value},
        )
        await uow.commit()
    return row.to_domain()


async def record_prices(
    ctx: MarketDataContext, principal: Principal, *, symbol: str, prices: Sequence[PriceRowInput]
) -> PricesRecorded:
    """Up to 10,000 days at once, upserted by day in one transaction."""
    checked = normalize_symbol(symbol)
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await _manual_instrument(uow, checked)
        bars = api_rows(prices, precision=row.price_precision, today=now.date())
        return await _store(
            uow, principal, row, bars, source="manual", received=len(prices), at=now
        )


async def import_prices_csv(
    ctx: MarketDataContext, principal: Principal, *, symbol: str, text: str
) -> PricesRecorded:
    """``date,close[,open,high,low,volume]`` with a header; errors name file lines."""
    checked = normalize_symbol(symbol)
    if len(text.encode()) > MAX_CSV_BYTES:
        raise ValidationFailed(
            [FieldIssue("csv", "TOO_LONG", f"A CSV is at most {MAX_CSV_BYTES:,} bytes.")]
        )
    rows, paths = await asyncio.to_thread(parse_csv, text)
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await _manual_instrument(uow, checked)
        bars = await asyncio.to_thread(
            check_rows,
            rows,
            paths,
            precision=row.price_precision,
            today=now.date(),
            batch_field="csv",
        )
        return await _store(uow, principal, row, bars, source="csv", received=len(rows), at=now)


async def _manual_instrument(uow: UnitOfWork, symbol: str) -> ManualInstrumentRow:
    row = await uow.marketdata.manual_by_symbol(symbol)
    if row is not None:
        return row
    if await uow.marketdata.global_by_symbol(symbol) is not None:
        raise RuleViolation(
            "NOT_MANUAL",
            f"{symbol} is priced by a provider; prices can be entered for manual instruments only.",
            "symbol",
        )
    raise NotFound(f"No instrument {symbol}.", field="symbol")


async def _store(
    uow: UnitOfWork,
    principal: Principal,
    row: ManualInstrumentRow,
    bars: list[DailyBar],
    *,
    source: str,
    received: int,
    at: datetime,
) -> PricesRecorded:
    written = await uow.marketdata.upsert_manual_prices(
        row.id, bars, source=source, entered_at=at, entered_by=principal.user_id
    )
    await audit.record_by(
        uow,
        principal,
        action="instrument.prices_recorded",
        subject_type="instrument",
        subject_id=row.id,
        at=at,
        details={
            "symbol": row.symbol,
            "source": source,
            "received": received,
            "written": written,
            "from": min(b.day for b in bars).isoformat(),
            "to": max(b.day for b in bars).isoformat(),
        },
    )
    await uow.commit()
    return PricesRecorded(row.to_domain(), received, written)


def _collect(issues: list[FieldIssue], check: Callable[[], str]) -> str | None:
    try:
        return check()
    except ValidationFailed as failure:
        issues.extend(failure.issues)
        return None
