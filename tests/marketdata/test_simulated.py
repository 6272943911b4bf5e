"""The simulated market: deterministic per seed and symbol, Decimal only, splits and
dividends in the unadjusted series, volatility as configured, and a live tick stream."""

from __future__ import annotations

import itertools
import math
import os
import statistics
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from fiscus.domain.marketdata import ActionKind, DailyBar, InstrumentKind, Quote
from fiscus.marketdata.providers.base import MarketDataProvider, SymbolNotFound
from fiscus.marketdata.providers.simulated import CATALOGUE, SimulatedProvider

NOW = datetime(2026, 6, 30, 21, 0, tzinfo=UTC)
TODAY = NOW.date()


def provider(seed: int = 12, **kw: object) -> SimulatedProvider:
    return SimulatedProvider(seed=seed, now=lambda: NOW, **kw)  # type: ignore[arg-type]


async def test_it_is_a_market_data_provider() -> None:
    assert isinstance(provider(), MarketDataProvider)


async def test_the_same_seed_gives_the_same_series_and_another_seed_another() -> None:
    first = await provider().history("AAPL", date(2014, 1, 1), date(2016, 12, 31))
    again = await provider().history("AAPL", date(2014, 1, 1), date(2016, 12, 31))
    other = await provider(seed=13).history("AAPL", date(2014, 1, 1), date(2016, 12, 31))
    assert first == again
    assert first.bars != other.bars


async def test_a_range_is_a_slice_of_one_series_whatever_was_asked_before() -> None:
    whole = await provider().history("MSFT", date(2012, 1, 1), TODAY)
    fresh = provider()
    part = await fresh.history("MSFT", date(2018, 3, 1), date(2018, 3, 31))
    assert part.bars == [
        bar for bar in whole.bars if date(2018, 3, 1) <= bar.day <= date(2018, 3, 31)
    ]
    assert len(part.bars) >= 20


def test_the_series_does_not_depend_on_the_process_hash_seed() -> None:
    script = (
        "import asyncio, datetime as d\n"
        "from fiscus.marketdata.providers.simulated import SimulatedProvider\n"
        "now = d.datetime(2026, 6, 30, tzinfo=d.UTC)\n"
        "p = SimulatedProvider(seed=12, now=lambda: now)\n"
        "h = asyncio.run(p.history('BTC-USD', d.date(2020, 1, 1), d.date(2020, 1, 10)))\n"
        "print([str(b.close) for b in h.bars])\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in ("1", "4242")
    }
    assert len(outputs) == 1


async def test_the_series_is_pinned_so_every_machine_sees_the_same_prices() -> None:
    history = await provider().history("AAPL", date(2012, 1, 3), date(2012, 1, 5))
    assert [(bar.day, bar.close) for bar in history.bars] == [
        (date(2012, 1, 3), Decimal("411.67")),
        (date(2012, 1, 4), Decimal("413.48")),
        (date(2012, 1, 5), Decimal("417.40")),
    ]


async def test_every_amount_is_a_decimal_at_the_instruments_precision() -> None:
    p = provider()
    for symbol in ("AAPL", "VWCE.DE", "BTC-USD", "EURUSD=X", "USDJPY=X", "KO"):
        profile = await p.profile(symbol)
        history = await p.history(symbol, date(2019, 1, 1), date(2020, 12, 31))
        assert history.bars
        for bar in history.bars:
            for value in (bar.close, bar.open, bar.high, bar.low):
                assert type(value) is Decimal
                assert value.as_tuple().exponent == -profile.price_precision
            assert bar.low is not None and bar.high is not None
            assert bar.low <= min(bar.open or bar.close, bar.close)
            assert bar.high >= max(bar.open or bar.close, bar.close)
            assert bar.volume is None or type(bar.volume) is int
        for action in history.actions:
            assert type(action.ratio or action.amount) is Decimal
        quote = (await p.quotes([symbol]))[symbol]
        assert type(quote.price) is Decimal and type(quote.previous_close) is Decimal


async def test_precision_follows_the_kind() -> None:
    p = provider()
    assert (await p.profile("AAPL")).price_precision == 2
    assert (await p.profile("BTC-USD")).price_precision == 2
    assert 4 <= (await p.profile("EURUSD=X")).price_precision <= 6
    assert 4 <= (await p.profile("USDJPY=X")).price_precision <= 6


async def test_a_split_shows_as_a_jump_in_the_unadjusted_closes() -> None:
    p = provider()
    seen = 0
    for spec in CATALOGUE.values():
        history = await p.history(spec.symbol, date(2012, 1, 1), TODAY)
        closes = {bar.day: bar.close for bar in history.bars}
        days = sorted(closes)
        for split in (a for a in history.actions if a.kind is ActionKind.SPLIT):
            assert split.ratio is not None and split.ratio >= 2
            before = closes[days[days.index(split.day) - 1]]
            after = closes[split.day]
            assert after < before / split.ratio * Decimal("1.2")
            assert after > before / split.ratio * Decimal("0.8")
            seen += 1
    assert seen >= 3


async def test_dividend_payers_go_ex_dividend_each_quarter() -> None:
    history = await provider().history("KO", date(2018, 1, 1), date(2018, 12, 31))
    dividends = [a for a in history.actions if a.kind is ActionKind.DIVIDEND]
    assert [d.day.month for d in dividends] == [2, 5, 8, 11]
    assert all(
        d.amount is not None and Decimal("0.05") < d.amount < Decimal("2") for d in dividends
    )
    growth = await provider().history("AMZN", date(2018, 1, 1), date(2018, 12, 31))
    assert not [a for a in growth.actions if a.kind is ActionKind.DIVIDEND]


def _yearly_volatility(bars: list[DailyBar], skip: set[date], per_year: int) -> float:
    returns = [
        math.log(float(b.close) / float(a.close))
        for a, b in itertools.pairwise(bars)
        if b.day not in skip
    ]
    return statistics.stdev(returns) * math.sqrt(per_year)


@pytest.mark.parametrize("symbol", ["AAPL", "SPY", "AGG", "BTC-USD", "EURUSD=X"])
async def test_volatility_is_plausible_for_the_kind(symbol: str) -> None:
    spec = CATALOGUE[symbol]
    history = await provider().history(symbol, date(2012, 1, 1), TODAY)
    skip = {action.day for action in history.actions}
    measured = _yearly_volatility(list(history.bars), skip, 365 if spec.every_day else 252)
    assert spec.volatility * 0.8 < measured < spec.volatility * 1.25
    expected_band = {
        InstrumentKind.EQUITY: (0.15, 0.6),
        InstrumentKind.ETF: (0.03, 0.25),
        InstrumentKind.CRYPTO: (0.5, 1.0),
        InstrumentKind.CURRENCY: (0.04, 0.12),
    }[spec.kind]
    assert expected_band[0] < measured < expected_band[1]


async def test_equities_trade_on_weekdays_crypto_and_fx_every_day() -> None:
    p = provider()
    week = (date(2024, 3, 4), date(2024, 3, 10))
    equity = await p.history("NVDA", *week)
    crypto = await p.history("BTC-USD", *week)
    fx = await p.history("EURUSD=X", *week)
    assert [b.day.weekday() for b in equity.bars] == [0, 1, 2, 3, 4]
    assert len(crypto.bars) == 7 and len(fx.bars) == 7


async def test_no_bar_is_ever_in_the_future() -> None:
    history = await provider().history(
        "SPY", TODAY - timedelta(days=10), TODAY + timedelta(days=30)
    )
    assert history.bars[-1].day <= TODAY


async def test_unknown_symbols_are_not_found_and_absent_from_batches() -> None:
    p = provider()
    with pytest.raises(SymbolNotFound):
        await p.profile("NOPE")
    with pytest.raises(SymbolNotFound):
        await p.history("NOPE", date(2020, 1, 1), date(2020, 2, 1))
    batch = await p.histories(["AAPL", "NOPE"], date(2020, 1, 1), date(2020, 2, 1))
    assert set(batch) == {"AAPL"}
    assert set(await p.quotes(["NOPE", "ETH-USD"])) == {"ETH-USD"}


async def test_the_catalogue_covers_every_kind_the_demo_shows() -> None:
    kinds = {spec.kind for spec in CATALOGUE.values()}
    assert {
        InstrumentKind.EQUITY,
        InstrumentKind.ETF,
        InstrumentKind.CRYPTO,
        InstrumentKind.CURRENCY,
    } <= kinds
    assert {
        "AAPL",
        "MSFT",
        "NVDA",
        "VTI",
        "VWCE.DE",
        "BTC-USD",
        "ETH-USD",
        "EURUSD=X",
        "GBPUSD=X",
        "USDJPY=X",
    } <= set(CATALOGUE)
    assert len(CATALOGUE) >= 30
    profile = await provider().profile("VWCE.DE")
    assert (profile.kind, profile.currency) == (InstrumentKind.ETF, "EUR")


async def _ticks(p: SimulatedProvider, symbols: list[str], count: int) -> list[Quote]:
    ticks: list[Quote] = []
    stream = p.stream(symbols)
    async for quote in stream:
        ticks.append(quote)
        if len(ticks) == count:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    return ticks


async def test_the_stream_ticks_each_symbol_from_its_last_close_at_the_configured_rate() -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    p = provider(ticks_per_second=4.0, sleep=record)
    last_close = (await p.quotes(["AAPL"]))["AAPL"].price
    ticks = await _ticks(p, ["AAPL", "BTC-USD", "NOPE"], 10)
    assert [t.symbol for t in ticks[:4]] == ["AAPL", "BTC-USD", "AAPL", "BTC-USD"]
    assert waits and set(waits) == {0.25}
    aapl = [t for t in ticks if t.symbol == "AAPL"]
    assert all(t.previous_close == last_close for t in aapl)
    assert abs(aapl[0].price - last_close) / last_close < Decimal("0.02")
    assert len({t.price for t in aapl}) > 1
    volumes = [t.day_volume for t in aapl]
    assert volumes == sorted(volumes)
    assert all(t.price.as_tuple().exponent == -2 for t in ticks)


async def test_the_stream_is_deterministic_for_a_seed_and_start_time() -> None:
    async def no_wait(seconds: float) -> None:
        return None

    first = await _ticks(provider(sleep=no_wait), ["ETH-USD", "GBPUSD=X"], 20)
    again = await _ticks(provider(sleep=no_wait), ["ETH-USD", "GBPUSD=X"], 20)
    alone = await _ticks(provider(sleep=no_wait), ["ETH-USD"], 10)
    assert first == again
    assert [t.price for t in first if t.symbol == "ETH-USD"] == [t.price for t in alone]
