"""Market-data jobs with the real worker: a tracked instrument is backfilled from the
configured provider (the simulated market), and the scheduled refresh fetches only what is
missing, idempotently."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
from arq.jobs import Job

from fiscus.config import Settings
from fiscus.marketdata.providers.base import ProviderError
from fiscus.marketdata.registry import ProviderRegistry
from fiscus.runtime import Runtime, job_deserializer, queue_name
from fiscus.services.marketdata import refresh, tracking
from fiscus.workers.jobs.marketdata import REFRESH_PRICES_JOB
from fiscus.workers.settings import run_worker
from tests.conftest import _plain
from tests.graphql_client import gql, sign_up
from tests.marketdata.fakes import FlakyProvider

TRACK = """mutation($symbol: String!) { trackInstrument(input: {symbol: $symbol}) {
  __typename ... on TrackInstrumentSuccess { newlyWatched instrument { id symbol provider } }
  ... on UserError { code field message } } }"""
LATEST = """query($symbol: String!) { instrument(symbol: $symbol) {
  symbol latestPrice { close asOf isStale source } actions { date kind } } }"""


async def stored_days(database_url: str, symbol: str) -> tuple[int, object, object]:
    connection = await asyncpg.connect(_plain(database_url))
    try:
        row = await connection.fetchrow(
            "SELECT count(*), min(day), max(day) FROM daily_prices p"
            " JOIN instruments i ON i.id = p.instrument_id WHERE i.symbol = $1",
            symbol,
        )
        assert row is not None
        return row[0], row[1], row[2]
    finally:
        await connection.close()


async def test_a_tracked_instrument_is_backfilled_and_the_refresh_fetches_only_what_is_missing(
    client, settings: Settings, runtime: Runtime, database_url: str
):
    owner = await sign_up(client, "owner@example.com")
    tracked = await gql(client, TRACK, {"symbol": "AAPL"}, token=owner.token)
    payload = tracked["data"]["trackInstrument"]
    assert payload["__typename"] == "TrackInstrumentSuccess", payload
    assert payload["instrument"]["provider"] == "simulated"
    before = await gql(client, LATEST, {"symbol": "AAPL"}, token=owner.token)
    assert before["data"]["instrument"]["latestPrice"] is None  # not backfilled yet

    await run_worker(settings, burst=True)  # runs backfill_instrument

    count, first, last = await stored_days(database_url, "AAPL")
    years = (last - first).days / 365.25
    assert 9.9 <= years <= 10.01, (first, last)
    assert 240 * 9.9 <= count <= 262 * 10.01  # trading days only, for an equity
    after = await gql(client, LATEST, {"symbol": "AAPL"}, token=owner.token)
    latest = after["data"]["instrument"]["latestPrice"]
    assert latest["source"] == "simulated" and latest["asOf"] == last.isoformat()
    assert not latest["isStale"]

    # The scheduled refresh asks only from a week before the newest stored day, and the
    # upsert rewrites nothing that did not change.
    job = await runtime.queue.enqueue_job(REFRESH_PRICES_JOB, _queue_name=queue_name(settings))
    assert job is not None
    await run_worker(settings, burst=True)
    finished = Job(
        job.job_id,
        runtime.queue,
        _queue_name=queue_name(settings),
        _deserializer=job_deserializer,
    )
    report = await finished.result(timeout=10)
    assert report["instruments"] == 1 and report["fetched"] == 1
    assert report["bars_written"] == 0 and report["actions_written"] == 0
    assert report["unavailable"] == []
    assert await stored_days(database_url, "AAPL") == (count, first, last)


async def test_a_provider_that_is_down_leaves_prices_as_they_were(
    runtime: Runtime, client, settings: Settings, database_url: str
):
    owner = await sign_up(client, "owner@example.com")
    tracked = await gql(client, TRACK, {"symbol": "MSFT"}, token=owner.token)
    assert tracked["data"]["trackInstrument"]["__typename"] == "TrackInstrumentSuccess"
    await run_worker(settings, burst=True)  # backfilled from the simulated market
    before = await stored_days(database_url, "MSFT")
    assert before[0] > 2000

    # The same registry machinery (guards, fallback), its provider now failing every call.
    down = FlakyProvider("simulated", known=("MSFT",))
    down.failure = ProviderError("connection reset")
    registry = ProviderRegistry.from_settings(settings, providers={"simulated": down})
    watched = await tracking.watched_instruments(runtime.marketdata)
    report = await refresh.refresh_instruments(
        runtime.marketdata, registry, watched, today=before[2] + timedelta(days=3)
    )
    assert report.unavailable == ["MSFT"] and report.fetched == 0
    assert down.calls >= 1
    assert await stored_days(database_url, "MSFT") == before
