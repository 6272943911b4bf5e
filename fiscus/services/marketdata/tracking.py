"""Following provider-backed instruments: ``track_instrument`` records that an
organization watches one (resolving an unknown symbol through the provider when one is
configured), and ``store_history`` writes what a provider returned, through the
SECURITY DEFINER upsert functions (used by jobs)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from fiscus.domain.errors import NotFound, RuleViolation
from fiscus.domain.identity import Principal
from fiscus.domain.marketdata import Instrument, InstrumentProfile, normalize_symbol
from fiscus.marketdata.providers.base import History, ProviderError, SymbolNotFound
from fiscus.services.identity import audit
from fiscus.services.marketdata import queries
from fiscus.services.marketdata.context import MarketDataContext


class ProviderUnavailableError(RuleViolation):
    def __init__(self, symbol: str) -> None:
        super().__init__(
            "PROVIDER_UNAVAILABLE",
            f"The market-data provider could not look up {symbol} now; try again later.",
            "symbol",
        )


@dataclass(frozen=True, slots=True)
class Tracked:
    instrument: Instrument
    newly_watched: bool


async def track_instrument(ctx: MarketDataContext, principal: Principal, *, symbol: str) -> Tracked:
    checked = normalize_symbol(symbol)
    known = (await queries.instruments_by_symbols(ctx, principal, [checked])).get(checked)
    if known is not None and known.is_manual:
        return Tracked(known, False)  # the organization's own: nothing to refresh
    profile: InstrumentProfile | None = None
    if known is None:
        if ctx.provider is None:
            raise NotFound(f"No instrument {checked}.", field="symbol")
        try:
            profile = await ctx.provider.profile(checked)
        except SymbolNotFound:
            raise NotFound(f"No instrument {checked}.", field="symbol") from None
        except ProviderError:
            raise ProviderUnavailableError(checked) from None
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        repo = uow.marketdata
        if profile is not None:
            assert ctx.provider is not None
            instrument_id = await repo.upsert_instrument(
                profile,
                provider=profile.provider or ctx.provider.name,
                provider_symbol=profile.symbol,
            )
            uow.enqueue(
                "backfill_instrument",
                job_id=f"backfill:{instrument_id}",
                instrument_id=str(instrument_id),
            )
        else:
            assert known is not None
            instrument_id = known.id
        newly = await repo.watch(instrument_id, by=principal.user_id, at=now)
        if newly:
            await audit.record_by(
                uow,
                principal,
                action="instrument.tracked",
                subject_type="instrument",
                subject_id=instrument_id,
                at=now,
                details={"symbol": checked},
            )
        row = await repo.global_by_symbol(checked)
        assert row is not None
        instrument = row.to_domain()
        await uow.commit()
    return Tracked(instrument, newly)


@dataclass(frozen=True, slots=True)
class HistoryStored:
    bars_written: int
    actions_written: int


async def store_history(
    ctx: MarketDataContext, instrument_id: UUID, history: History, source: str
) -> HistoryStored:
    """Upserts bars and actions of one global instrument; rewrites only changed days."""
    async with ctx.unit() as uow:
        bars = await uow.marketdata.upsert_daily_prices(instrument_id, source, history.bars)
        actions = await uow.marketdata.upsert_corporate_actions(
            instrument_id, source, history.actions
        )
        await uow.commit()
    return HistoryStored(bars, actions)


async def watched_instruments(ctx: MarketDataContext) -> list[UUID]:
    """The union of instruments any organization watches (for the refresh cron)."""
    async with ctx.unit() as uow:
        return await uow.marketdata.watched_instruments()
