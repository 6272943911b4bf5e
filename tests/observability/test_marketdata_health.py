"""Market-data breaker state in /health and provider calls in /metrics, on the real
runtime with a failing provider (the outside world) behind the real guards."""

from __future__ import annotations

import dataclasses

import pytest

from fiscus.marketdata.providers.base import ProviderRateLimited, ProviderUnavailable
from fiscus.marketdata.registry import ProviderRegistry
from fiscus.observability.metrics import REGISTRY, ProviderCallMetrics
from fiscus.runtime import Runtime
from tests.marketdata.fakes import FlakyProvider
from tests.observability.conftest import build_app, client_for


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_health_shows_every_provider_closed_on_a_fresh_runtime(runtime: Runtime) -> None:
    async with client_for(build_app(runtime)) as client:
        body = (await client.get("/health")).json()
    assert body["status"] == "ok"
    assert body["marketdata"] == {
        "status": "ok",
        "providers": [
            {
                "provider": "simulated",
                "state": "closed",
                "consecutive_failures": 0,
                "retry_in_seconds": None,
            }
        ],
    }


async def test_an_open_breaker_shows_in_health_and_metrics_while_the_probe_stays_ok(
    runtime: Runtime,
) -> None:
    failing = FlakyProvider("simulated")
    failing.failure = ProviderRateLimited("HTTP 429")
    providers = ProviderRegistry.from_settings(
        runtime.settings, providers={"simulated": failing}, observer=ProviderCallMetrics()
    )
    limited_before = sample(
        "fiscus_marketdata_provider_calls_total",
        {"provider": "simulated", "outcome": "rate_limited"},
    )
    rejected_before = sample(
        "fiscus_marketdata_provider_calls_total", {"provider": "simulated", "outcome": "rejected"}
    )
    failures = runtime.settings.marketdata.breaker_failures
    for _ in range(failures + 1):
        with pytest.raises(ProviderUnavailable):
            await providers.quotes(["AAPL"])

    async with client_for(build_app(dataclasses.replace(runtime, providers=providers))) as client:
        health = await client.get("/health")
        metrics = (await client.get("/metrics")).text

    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    entry = health.json()["marketdata"]
    assert entry["status"] == "degraded"
    [state] = entry["providers"]
    assert state["state"] == "open"
    assert state["consecutive_failures"] == failures
    assert 0 < state["retry_in_seconds"] <= runtime.settings.marketdata.breaker_open_seconds
    assert 'fiscus_marketdata_breaker_state{provider="simulated"} 2.0' in metrics
    assert (
        sample(
            "fiscus_marketdata_provider_calls_total",
            {"provider": "simulated", "outcome": "rate_limited"},
        )
        == limited_before + failures
    )
    assert (
        sample(
            "fiscus_marketdata_provider_calls_total",
            {"provider": "simulated", "outcome": "rejected"},
        )
        == rejected_before + 1
    )
    assert failing.calls == failures
