"""The backtest job with the real worker: a run whose prices vanished after it was queued
fails with a typed error (stored, published, audited); running a finished run again changes
nothing (arq delivers at least once)."""

from __future__ import annotations

import asyncpg

from fiscus.domain.backtesting.records import BacktestStatus
from fiscus.runtime import Runtime
from fiscus.services.backtesting import runs
from fiscus.workers.settings import run_worker
from tests.api.backtest_operations import BACKTEST, run_backtest
from tests.api.test_backtests import seed
from tests.api.test_tenant_isolation import raw_uuid
from tests.conftest import _plain
from tests.graphql_client import gql, sign_up


async def test_vanished_prices_fail_the_run_with_a_typed_error(
    client, database_url, settings, runtime: Runtime
):
    await seed(database_url)
    owner = await sign_up(client, "owner@example.com")
    run = await run_backtest(client, owner.token)
    connection = await asyncpg.connect(_plain(database_url))
    try:
        await connection.execute(
            "DELETE FROM daily_prices WHERE instrument_id ="
            " (SELECT id FROM instruments WHERE symbol = 'BBB') AND day < '2023-06-01'"
        )
    finally:
        await connection.close()
    await run_worker(settings, burst=True)
    body = await gql(client, BACKTEST, {"id": run["backtest"]["id"]}, token=owner.token)
    failed = body["data"]["backtest"]
    assert failed["status"] == "FAILED"
    assert failed["error"]["code"] == "NO_PRICES"
    assert "BBB" in failed["error"]["message"]
    assert failed["strategies"] == []
    # Delivered again: a finished run stays as it is.
    again = await runs.execute(
        runtime.portfolios,
        runtime.broker.publish,
        raw_uuid(owner.org_id),
        raw_uuid(run["backtest"]["id"]),
    )
    assert again is BacktestStatus.FAILED
