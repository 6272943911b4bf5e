"""The yfinance adapter on Yahoo-shaped responses served to the real yfinance code by a
local server (HTTP) and a local WebSocket server (the stream); no network, no mocks."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import websockets
from websockets.asyncio.server import ServerConnection, serve
from yfinance.data import YfData
from yfinance.pricing_pb2 import PricingData

from fiscus.config import MarketDataSettings, Settings
from fiscus.domain.marketdata import ActionKind, CorporateAction, InstrumentKind
from fiscus.marketdata.guards import CircuitState
from fiscus.marketdata.providers.base import (
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    SymbolNotFound,
)
from fiscus.marketdata.providers.yfinance_provider import YFinanceProvider
from fiscus.marketdata.registry import ProviderRegistry
from tests.marketdata.fakes import FakeClock
from tests.marketdata.yahoo_server import YahooStandIn, session_to, yahoo_stand_in

TODAY = date(2020, 9, 4)


@pytest.fixture(scope="module")
def yahoo() -> Iterator[tuple[YahooStandIn, str]]:
    with yahoo_stand_in() as running:
        yield running


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("yfinance-cache")


@pytest.fixture
def stand_in(yahoo: tuple[YahooStandIn, str]) -> Iterator[YahooStandIn]:
    server, _ = yahoo
    server.rate_limited = False
    YfData().cache_get.cache_clear()
    yield server
    server.rate_limited = False
    YfData().cache_get.cache_clear()


@pytest.fixture
def provider(yahoo: tuple[YahooStandIn, str], cache_dir: Path) -> YFinanceProvider:
    _, base = yahoo
    return YFinanceProvider(
        session=session_to(base), cache_dir=cache_dir, today=lambda: TODAY, timeout_seconds=5
    )


async def test_history_is_unadjusted_with_the_split_and_the_dividend(
    stand_in: YahooStandIn, provider: YFinanceProvider
) -> None:
    history = await provider.history("AAPL", date(2020, 8, 3), date(2020, 9, 4))

    closes = {bar.day: bar.close for bar in history.bars}
    assert closes[date(2020, 8, 28)] == Decimal("499.23")
    assert closes[date(2020, 8, 31)] == Decimal("129.04")
    assert closes[date(2020, 8, 3)] == Decimal("435.75")
    assert history.actions == [
        CorporateAction(date(2020, 8, 7), ActionKind.DIVIDEND, amount=Decimal("0.820000")),
        CorporateAction(date(2020, 8, 31), ActionKind.SPLIT, ratio=Decimal("4")),
    ]
    assert history.source == "yfinance"
    assert len(history.bars) == 25
    for bar in history.bars:
        for value in (bar.close, bar.open, bar.high, bar.low):
            assert type(value) is Decimal and value.as_tuple().exponent == -2
        assert type(bar.volume) is int
    assert stand_in.chart_requests() >= 1


async def test_a_range_before_the_split_is_still_unadjusted(
    stand_in: YahooStandIn, provider: YFinanceProvider
) -> None:
    history = await provider.history("AAPL", date(2020, 8, 24), date(2020, 8, 28))
    assert [bar.close for bar in history.bars] == [
        Decimal("503.43"),
        Decimal("499.30"),
        Decimal("506.09"),
        Decimal("500.04"),
        Decimal("499.23"),
    ]
    assert history.actions == []


async def test_quote_and_profile_come_from_the_chart_metadata(
    stand_in: YahooStandIn, provider: YFinanceProvider
) -> None:
    quotes = await provider.quotes(["AAPL", "NOPE"])
    assert set(quotes) == {"AAPL"}
    quote = quotes["AAPL"]
    assert quote.price == Decimal("120.96")
    assert quote.previous_close == Decimal("120.88")
    assert quote.day_volume == 332607200
    assert quote.at == datetime(2020, 9, 4, 20, 0, 2, tzinfo=UTC)

    profile = await provider.profile("AAPL")
    assert (profile.name, profile.kind, profile.currency, profile.price_precision) == (
        "Apple Inc.",
        InstrumentKind.EQUITY,
        "USD",
        2,
    )


async def test_an_unknown_symbol_is_symbol_not_found(
    stand_in: YahooStandIn, provider: YFinanceProvider
) -> None:
    with pytest.raises(SymbolNotFound):
        await provider.history("NOPE", date(2020, 8, 3), date(2020, 9, 4))
    found = await provider.histories(["AAPL", "NOPE"], date(2020, 8, 3), date(2020, 9, 4))
    assert set(found) == {"AAPL"}


async def test_http_429_is_provider_rate_limited(
    stand_in: YahooStandIn, provider: YFinanceProvider
) -> None:
    stand_in.rate_limited = True
    with pytest.raises(ProviderRateLimited):
        await provider.history("MSFT", date(2020, 8, 3), date(2020, 9, 4))
    with pytest.raises(ProviderRateLimited):
        await provider.histories(["AAPL", "MSFT"], date(2020, 8, 3), date(2020, 8, 4))


async def test_a_429_wave_opens_the_breaker_and_the_registry_stops_calling_yahoo(
    stand_in: YahooStandIn, provider: YFinanceProvider
) -> None:
    clock = FakeClock()
    settings = Settings(
        marketdata=MarketDataSettings(
            provider="yfinance",
            breaker_failures=3,
            breaker_open_seconds=30,
            call_timeout_seconds=10,
        )
    )
    registry = ProviderRegistry.from_settings(
        settings, providers={"yfinance": provider}, clock=clock
    )
    stand_in.rate_limited = True
    for _ in range(3):
        with pytest.raises(ProviderUnavailable) as raised:
            await registry.history("AAPL", date(2020, 8, 3), date(2020, 8, 7))
        assert isinstance(raised.value.__cause__, ProviderRateLimited)
    [state] = registry.states()
    assert state.state is CircuitState.OPEN
    asked = stand_in.chart_requests()
    for _ in range(10):
        with pytest.raises(ProviderUnavailable):
            await registry.quotes(["AAPL"])
    assert stand_in.chart_requests() == asked

    stand_in.rate_limited = False
    clock.advance(30)
    history = await registry.history("AAPL", date(2020, 8, 3), date(2020, 8, 7))
    assert history.bars[0].close == Decimal("435.75")
    assert registry.states()[0].state is CircuitState.CLOSED


def pricing_frame(**fields: object) -> str:
    message = PricingData(**fields)  # type: ignore[arg-type]
    encoded = base64.b64encode(message.SerializeToString()).decode()
    return json.dumps({"type": "pricing", "message": encoded})


@pytest.fixture
async def streamer() -> AsyncIterator[tuple[str, list[list[str]]]]:
    """Yahoo's streamer stand-in: records subscriptions, sends two ticks, then drops the
    connection."""
    subscriptions: list[list[str]] = []

    async def handle(connection: ServerConnection) -> None:
        subscribe = json.loads(await connection.recv())
        subscriptions.append(subscribe["subscribe"])
        await connection.send(
            pricing_frame(
                id="AAPL",
                price=229.87,
                time=1736509140000,
                previous_close=236.85,
                change=-6.98,
                day_volume=61710858,
                price_hint=2,
                exchange="NMS",
            )
        )
        await connection.send(
            pricing_frame(
                id="EURUSD=X", price=1.0298, time=1736509141000, change=0.0012, price_hint=4
            )
        )
        await connection.close(code=1011)

    async with serve(handle, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/?version=2", subscriptions


async def test_stream_messages_decode_into_quotes_and_a_drop_ends_the_stream(
    streamer: tuple[str, list[list[str]]], cache_dir: Path
) -> None:
    url, subscriptions = streamer
    provider = YFinanceProvider(stream_url=url, cache_dir=cache_dir)
    quotes = []
    with pytest.raises(ProviderError, match="dropped"):
        async with asyncio.timeout(10):
            async for quote in provider.stream(["AAPL", "EURUSD=X"]):
                quotes.append(quote)
    assert sorted(subscriptions[0]) == ["AAPL", "EURUSD=X"]
    aapl, eur = quotes
    assert (aapl.symbol, aapl.price, aapl.previous_close, aapl.day_volume) == (
        "AAPL",
        Decimal("229.87"),
        Decimal("236.85"),
        61710858,
    )
    assert aapl.change == Decimal("-6.98")
    assert aapl.at == datetime.fromtimestamp(1736509140, UTC)
    assert (eur.symbol, eur.price, eur.previous_close) == (
        "EURUSD=X",
        Decimal("1.0298"),
        Decimal("1.0286"),
    )


async def test_closing_the_stream_closes_the_socket(cache_dir: Path) -> None:
    closed = asyncio.Event()

    async def handle(connection: ServerConnection) -> None:
        await connection.recv()
        for n in range(1000):
            try:
                await connection.send(
                    pricing_frame(id="AAPL", price=200 + n / 100, time=1736509140000 + n)
                )
                await asyncio.sleep(0.01)
            except websockets.ConnectionClosed:
                break
        closed.set()

    async with serve(handle, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        provider = YFinanceProvider(stream_url=f"ws://127.0.0.1:{port}", cache_dir=cache_dir)
        stream = provider.stream(["AAPL"])
        first = await anext(stream)
        await stream.aclose()  # type: ignore[attr-defined]
        assert first.price == Decimal("200.00")
        async with asyncio.timeout(5):
            await closed.wait()
