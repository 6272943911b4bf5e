"""Market-data services against the real database and Redis, with a fake provider standing
in for the outside world."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from datetime import date
from decimal import Decimal

import pytest

from fiscus.domain.errors import NotFound, ValidationFailed
from fiscus.domain.marketdata import (
    ActionKind,
    CorporateAction,
    DailyBar,
    InstrumentKind,
    InstrumentProfile,
    Quote,
)
from fiscus.marketdata.providers.base import History, ProviderUnavailable, SymbolNotFound
from fiscus.runtime import queue_name
from fiscus.services.marketdata import manual, queries, tracking
from fiscus.services.marketdata.price_rows import PriceRowInput
from tests.persistence.test_marketdata_reads import principal_of
from tests.persistence.test_row_level_security import _two_orgs


class FakeProvider:
    """Knows one symbol; can be made to fail."""

    name = "fake"

    def __init__(self) -> None:
        self.down = False
        self.profiles = 0

    async def profile(self, symbol: str) -> InstrumentProfile:
        self.profiles += 1
        if self.down:
            raise ProviderUnavailable("circuit open")
        if symbol != "MSFT":
            raise SymbolNotFound(symbol)
        return InstrumentProfile("MSFT", "Microsoft Corp", InstrumentKind.EQUITY, "USD", "NMS", 2)

    async def history(self, symbol: str, start: date, end: date) -> History:
        return History([], [])

    async def histories(self, symbols: Sequence[str], start: date, end: date) -> dict[str, History]:
        return {}

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        return {}

    async def stream(self, symbols: Sequence[str]) -> AsyncIterator[Quote]:
        return
        yield


async def test_an_unknown_symbol_is_resolved_through_the_provider_stored_and_backfilled(runtime):
    a, b = await _two_orgs(runtime)
    provider = FakeProvider()
    ctx = dataclasses.replace(runtime.marketdata, provider=provider)
    tracked = await tracking.track_instrument(ctx, principal_of(a), symbol="msft")
    assert tracked.newly_watched and tracked.instrument.name == "Microsoft Corp"
    assert tracked.instrument.provider == "fake" and not tracked.instrument.is_manual
    jobs = await runtime.queue.queued_jobs(queue_name=queue_name(runtime.settings))
    assert [(j.function, j.kwargs) for j in jobs] == [
        ("backfill_instrument", {"instrument_id": str(tracked.instrument.id)})
    ]
    # Known now: another organization tracks it without asking the provider again.
    again = await tracking.track_instrument(ctx, principal_of(b), symbol="MSFT")
    assert again.instrument.id == tracked.instrument.id and provider.profiles == 1
    assert await tracking.watched_instruments(runtime.marketdata) == [tracked.instrument.id]
    await runtime.queue.delete(f"arq:job:backfill:{tracked.instrument.id}")


async def test_without_a_provider_or_when_it_fails_tracking_an_unknown_symbol_is_typed(runtime):
    a, _ = await _two_orgs(runtime)
    without = dataclasses.replace(runtime.marketdata, provider=None)
    with pytest.raises(NotFound) as missing:
        await tracking.track_instrument(without, principal_of(a), symbol="MSFT")
    assert missing.value.field == "symbol"
    provider = FakeProvider()
    ctx = dataclasses.replace(runtime.marketdata, provider=provider)
    with pytest.raises(NotFound):
        await tracking.track_instrument(ctx, principal_of(a), symbol="NOPE")
    provider.down = True
    with pytest.raises(tracking.ProviderUnavailableError):
        await tracking.track_instrument(ctx, principal_of(a), symbol="MSFT")


async def test_stored_history_gives_latest_prices_prices_and_actions(runtime):
    a, _ = await _two_orgs(runtime)
    ctx = dataclasses.replace(runtime.marketdata, provider=FakeProvider())
    msft = (await tracking.track_instrument(ctx, principal_of(a), symbol="MSFT")).instrument
    await runtime.queue.delete(f"arq:job:backfill:{msft.id}")
    history = History(
        [
            DailyBar(date(2024, 1, 2), Decimal("370.87"), volume=25_258_600),
            DailyBar(date(2024, 1, 3), Decimal("370.60")),
        ],
        [CorporateAction(date(2024, 1, 3), ActionKind.DIVIDEND, amount=Decimal("0.75"))],
    )
    stored = await tracking.store_history(runtime.marketdata, msft.id, history, "fake")
    assert (stored.bars_written, stored.actions_written) == (2, 1)
    again = await tracking.store_history(runtime.marketdata, msft.id, history, "fake")
    assert (again.bars_written, again.actions_written) == (0, 0)
    latest = await queries.latest_prices(runtime.marketdata, principal_of(a), [msft])
    assert latest[msft.id].close == Decimal("370.60")
    assert latest[msft.id].as_of == date(2024, 1, 3) and latest[msft.id].is_stale
    found = await queries.actions(
        runtime.marketdata, principal_of(a), msft, start=date(2024, 1, 1), end=date(2024, 12, 31)
    )
    assert found == [CorporateAction(date(2024, 1, 3), ActionKind.DIVIDEND, amount=Decimal("0.75"))]


async def test_ten_thousand_prices_go_in_one_batch_and_one_more_is_refused(runtime):
    a, _ = await _two_orgs(runtime)
    principal = principal_of(a)
    await manual.create_manual_instrument(
        runtime.marketdata, principal, symbol="FUND", name="Fund", kind="fund", currency="EUR"
    )
    start = date(1990, 1, 1).toordinal()
    rows = [
        PriceRowInput(date.fromordinal(start + n).isoformat(), f"{100 + n % 50}.25")
        for n in range(10_000)
    ]
    recorded = await manual.record_prices(runtime.marketdata, principal, symbol="FUND", prices=rows)
    assert (recorded.received, recorded.written) == (10_000, 10_000)
    with pytest.raises(ValidationFailed) as refused:
        await manual.record_prices(
            runtime.marketdata,
            principal,
            symbol="FUND",
            prices=[*rows, PriceRowInput("2024-01-02", "1")],
        )
    assert (refused.value.field, refused.value.code) == ("prices", "TOO_LONG")


async def test_a_float_close_is_refused(runtime):
    a, _ = await _two_orgs(runtime)
    principal = principal_of(a)
    await manual.create_manual_instrument(
        runtime.marketdata, principal, symbol="FUND", name="Fund", kind="fund", currency="EUR"
    )
    with pytest.raises(ValidationFailed) as refused:
        await manual.record_prices(
            runtime.marketdata,
            principal,
            symbol="FUND",
            prices=[PriceRowInput("2024-01-02", 0.1)],
        )
    assert refused.value.field == "prices[0].close"
