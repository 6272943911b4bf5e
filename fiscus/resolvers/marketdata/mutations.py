"""Market-data mutations: manual instruments, their prices (entered or imported), and
tracking provider-backed instruments. Each parses its input, calls one service and maps
the result; expected failures come back as members of the result union."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from fiscus.domain.identity import Permission
from fiscus.schema import marketdata as types
from fiscus.schema.errors import attempt
from fiscus.schema.permissions import requires
from fiscus.services.marketdata import manual, tracking
from fiscus.services.marketdata.price_rows import PriceRowInput

WRITE = [requires(Permission.PORTFOLIO_WRITE)]


def _recorded(result: manual.PricesRecorded) -> types.RecordPricesSuccess:
    return types.RecordPricesSuccess(
        instrument=types.Instrument.from_domain(result.instrument),
        received=result.received,
        written=result.written,
    )


@strawberry.type
class MarketDataMutation:
    @strawberry.mutation(
        description="An instrument no provider covers (a private fund, a house), visible to "
        "this organization only. Its symbol may not name any other instrument.",
        permission_classes=WRITE,
    )
    async def create_manual_instrument(
        self, info: Info, input: types.CreateManualInstrumentInput
    ) -> types.CreateManualInstrumentResult:
        principal = await info.context.require_principal()

        async def run() -> types.CreateManualInstrumentSuccess:
            created = await manual.create_manual_instrument(
                info.context.marketdata,
                principal,
                symbol=input.symbol,
                name=input.name,
                kind=input.kind.value,
                currency=input.currency,
                exchange=input.exchange,
                price_precision=input.price_precision,
            )
            return types.CreateManualInstrumentSuccess(
                instrument=types.Instrument.from_domain(created)
            )

        return await attempt(run)

    @strawberry.mutation(
        description="Prices of a manual instrument, up to 10,000 days at once, upserted by "
        "day. One bad row rejects the batch; errors name `prices[<index>].<field>`.",
        permission_classes=WRITE,
    )
    async def record_prices(
        self, info: Info, input: types.RecordPricesInput
    ) -> types.RecordPricesResult:
        principal = await info.context.require_principal()

        async def run() -> types.RecordPricesSuccess:
            rows = [
                PriceRowInput(p.date, p.close, p.open, p.high, p.low, p.volume)
                for p in input.prices
            ]
            return _recorded(
                await manual.record_prices(
                    info.context.marketdata, principal, symbol=input.symbol, prices=rows
                )
            )

        return await attempt(run)

    @strawberry.mutation(
        description="Prices of a manual instrument from a CSV (`date,close[,open,high,low,"
        "volume]` with a header). All or nothing; errors name `csv[<line>].<field>`.",
        permission_classes=WRITE,
    )
    async def import_prices_csv(
        self, info: Info, input: types.ImportPricesCsvInput
    ) -> types.RecordPricesResult:
        principal = await info.context.require_principal()

        async def run() -> types.RecordPricesSuccess:
            return _recorded(
                await manual.import_prices_csv(
                    info.context.marketdata, principal, symbol=input.symbol, text=input.csv
                )
            )

        return await attempt(run)

    @strawberry.mutation(
        description="Follow an instrument: its prices are kept up to date from then on. An "
        "unknown symbol is looked up with the market-data provider and backfilled.",
        permission_classes=WRITE,
    )
    async def track_instrument(
        self, info: Info, input: types.TrackInstrumentInput
    ) -> types.TrackInstrumentResult:
        principal = await info.context.require_principal()

        async def run() -> types.TrackInstrumentSuccess:
            tracked = await tracking.track_instrument(
                info.context.marketdata, principal, symbol=input.symbol
            )
            return types.TrackInstrumentSuccess(
                instrument=types.Instrument.from_domain(tracked.instrument),
                newly_watched=tracked.newly_watched,
            )

        return await attempt(run)
