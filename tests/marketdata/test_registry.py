"""The registry: ordered fallback, breaker transitions through it, and its errors, with a
failing fake provider (the outside world) behind real guards."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from fiscus.config import MarketDataSettings, Settings
from fiscus.domain.marketdata import Instrument, InstrumentKind
from fiscus.marketdata.guards import CircuitState
from fiscus.marketdata.providers.base import (
    MarketDataProvider,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    SymbolNotFound,
)
from fiscus.marketdata.registry import ProviderRegistry
from tests.marketdata.fakes import FakeClock, FlakyProvider

DAY = date(2026, 1, 2)


def registry(
    primary: FlakyProvider,
    backup: FlakyProvider | None = None,
    *,
    clock: FakeClock | None = None,
    failures: int = 2,
) -> ProviderRegistry:
    names: list[str] = [primary.name] + ([backup.name] if backup else [])
    settings = Settings(
        marketdata=MarketDataSettings(
            provider=names[0],  # type: ignore[arg-type]
            fallback=names[1:],  # type: ignore[arg-type]
            breaker_failures=failures,
            breaker_open_seconds=60,
            call_timeout_seconds=1,
        )
    )
    providers = {p.name: p for p in (primary, backup) if p is not None}
    return ProviderRegistry.from_settings(settings, providers=providers, clock=clock or FakeClock())


def instrument(provider: str | None) -> Instrument:
    return Instrument(
        uuid.uuid4(), "AAPL", "Apple", InstrumentKind.EQUITY, "USD", None, provider, None, 2
    )


async def test_the_registry_is_itself_a_provider() -> None:
    assert isinstance(registry(FlakyProvider("simulated")), MarketDataProvider)


def test_the_default_provider_is_simulated_outside_production_and_yfinance_in_it() -> None:
    assert Settings().marketdata_providers == ["simulated"]
    assert Settings(env="production").marketdata_providers == ["yfinance"]
    configured = Settings(
        env="production",
        marketdata=MarketDataSettings(provider="simulated", fallback=["yfinance", "simulated"]),
    )
    assert configured.marketdata_providers == ["simulated", "yfinance"]


async def test_answers_come_from_the_default_provider_and_name_their_source() -> None:
    primary, backup = FlakyProvider("yfinance"), FlakyProvider("simulated")
    history = await registry(primary, backup).history("AAPL", DAY, DAY)
    assert history.source == "yfinance"
    assert backup.calls == 0


async def test_a_failing_provider_falls_back_to_the_next_in_order() -> None:
    primary, backup = FlakyProvider("yfinance"), FlakyProvider("simulated")
    primary.failure = ProviderError("connection reset")
    reg = registry(primary, backup)
    history = await reg.history("AAPL", DAY, DAY)
    assert history.source == "simulated"
    quotes = await reg.quotes(["AAPL", "MSFT"])
    assert set(quotes) == {"AAPL", "MSFT"}


async def test_an_instruments_own_provider_comes_first() -> None:
    primary, backup = FlakyProvider("yfinance"), FlakyProvider("simulated")
    reg = registry(primary, backup)
    assert reg.provider_for(instrument("simulated")) == "simulated"
    assert reg.provider_for(instrument("manual")) == "yfinance"
    assert reg.provider_for(instrument(None)) == "yfinance"
    history = await reg.history(
        "AAPL", DAY, DAY, provider=reg.provider_for(instrument("simulated"))
    )
    assert history.source == "simulated" and primary.calls == 0


async def test_repeated_failures_open_the_circuit_and_later_calls_skip_the_provider() -> None:
    primary, backup = FlakyProvider("yfinance"), FlakyProvider("simulated")
    primary.failure = ProviderRateLimited("HTTP 429")
    clock = FakeClock()
    reg = registry(primary, backup, clock=clock)
    for _ in range(2):
        await reg.history("AAPL", DAY, DAY)
    assert primary.calls == 2
    states = {s.provider: s for s in reg.states()}
    assert states["yfinance"].state is CircuitState.OPEN
    assert states["simulated"].state is CircuitState.CLOSED
    for _ in range(5):
        assert (await reg.history("AAPL", DAY, DAY)).source == "simulated"
    assert primary.calls == 2

    primary.failure = None
    clock.advance(60)
    assert {s.provider: s.state for s in reg.states()}["yfinance"] is CircuitState.HALF_OPEN
    assert (await reg.history("AAPL", DAY, DAY)).source == "yfinance"
    assert {s.provider: s.state for s in reg.states()}["yfinance"] is CircuitState.CLOSED


async def test_with_no_provider_left_the_caller_gets_provider_unavailable_fast() -> None:
    primary = FlakyProvider("yfinance")
    primary.failure = ProviderError("down")
    reg = registry(primary)
    for _ in range(2):
        with pytest.raises(ProviderUnavailable) as raised:
            await reg.quotes(["AAPL"])
        assert isinstance(raised.value.__cause__, ProviderError)
    with pytest.raises(ProviderUnavailable):
        await reg.history("AAPL", DAY, DAY)
    assert primary.calls == 2


async def test_an_unknown_symbol_everywhere_is_symbol_not_found_not_an_outage() -> None:
    primary, backup = FlakyProvider("yfinance", known=[]), FlakyProvider("simulated", known=[])
    reg = registry(primary, backup, failures=1)
    with pytest.raises(SymbolNotFound):
        await reg.profile("NOPE")
    assert all(s.state is CircuitState.CLOSED for s in reg.states())


async def test_batches_go_in_chunks_and_what_one_provider_lacks_is_asked_of_the_next() -> None:
    primary = FlakyProvider("yfinance", known=["AAPL"])
    backup = FlakyProvider("simulated", known=["AAPL", "MSFT"])
    primary.batch_size = 1  # type: ignore[attr-defined]
    reg = registry(primary, backup)
    found = await reg.histories(["AAPL", "MSFT", "NOPE"], DAY, DAY)
    assert {s: h.source for s, h in found.items()} == {"AAPL": "yfinance", "MSFT": "simulated"}
    assert primary.calls == 3


async def test_a_stream_falls_back_while_the_default_circuit_is_open() -> None:
    primary, backup = FlakyProvider("yfinance"), FlakyProvider("simulated")
    primary.failure = ProviderError("socket refused")
    reg = registry(primary, backup, failures=1)
    got = [quote.symbol async for quote in reg.stream(["AAPL", "MSFT"])]
    assert got == ["AAPL", "MSFT"]
    assert {s.provider: s.state for s in reg.states()}["yfinance"] is CircuitState.OPEN
    backup.failure = ProviderError("also down")
    with pytest.raises(ProviderUnavailable):
        async for _ in reg.stream(["AAPL"]):
            pass
