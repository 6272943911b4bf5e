"""The risk-free rate a Sharpe or Sortino ratio uses: the one asked for, else the
organization's setting (a constant, or an instrument whose closes are annual rates in
percent, like ^IRX), else 0."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from fiscus.domain.analytics import RiskFreeRate
from fiscus.domain.errors import ErrorCode, FieldIssue, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.marketdata import normalize_symbol
from fiscus.persistence.reads.analytics import Settings
from fiscus.services.analytics.market import instrument_closes
from fiscus.services.identity import audit
from fiscus.services.portfolios.context import PortfolioContext

_PERCENT = Decimal(100)
MAX_RATE = Decimal(1)


def check_rate(rate: Decimal, field: str) -> Decimal:
    if not -MAX_RATE < rate < MAX_RATE:
        raise ValidationFailed(
            [FieldIssue(field, ErrorCode.INVALID, "An annual rate between -1 and 1 (0.03: 3 %).")]
        )
    return rate


async def risk_free_rate(
    ctx: PortfolioContext, principal: Principal, asked: Decimal | None, start: date, end: date
) -> RiskFreeRate:
    if asked is not None:
        return RiskFreeRate(check_rate(asked, "riskFreeRate"))
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        found = await reads.analytics.settings()
        if found is None:
            return RiskFreeRate()
        if found.risk_free_symbol:
            _, closes = await instrument_closes(
                reads, found.risk_free_symbol, None, start, end, field="riskFreeSymbol"
            )
            return RiskFreeRate(
                series=tuple(
                    (day, close / _PERCENT)
                    for day, close in zip(closes.dates, closes.closes, strict=True)
                )
            )
    return RiskFreeRate(found.risk_free_rate or Decimal(0))


async def settings(ctx: PortfolioContext, principal: Principal) -> Settings:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.analytics.settings() or Settings(None, None)


async def update_settings(
    ctx: PortfolioContext,
    principal: Principal,
    *,
    risk_free_rate: Decimal | None,
    risk_free_symbol: str | None,
) -> Settings:
    """Either a constant or an instrument (neither: back to 0). Audited as
    ``analytics.settings_updated``."""
    if risk_free_rate is not None and risk_free_symbol:
        raise ValidationFailed(
            [
                FieldIssue(
                    "riskFreeSymbol", ErrorCode.INVALID, "Give a rate or an instrument, not both."
                )
            ]
        )
    if risk_free_rate is not None:
        check_rate(risk_free_rate, "riskFreeRate")
    symbol = (
        normalize_symbol(risk_free_symbol, field_name="riskFreeSymbol")
        if risk_free_symbol
        else None
    )
    at: datetime = ctx.clock()
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        if symbol is not None:
            await instrument_closes(
                reads, symbol, None, at.date(), at.date(), field="riskFreeSymbol"
            )
    async with ctx.unit(principal.org_id, principal.user_id) as uow:
        await uow.analytics.save_settings(
            risk_free_rate=risk_free_rate,
            risk_free_symbol=symbol,
            updated_by=principal.user_id,
            at=at,
        )
        await audit.record_by(
            uow,
            principal,
            action="analytics.settings_updated",
            subject_type="organization",
            subject_id=principal.org_id,
            at=at,
            details={
                "risk_free_rate": str(risk_free_rate) if risk_free_rate is not None else None,
                "risk_free_symbol": symbol,
            },
        )
        await uow.commit()
    return Settings(risk_free_rate, symbol)
