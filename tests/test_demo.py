"""`fiscus demo`: the demo account watches the simulated market with ten years of history."""

from __future__ import annotations

import asyncpg

from fiscus.config import Settings
from fiscus.demo import seed_demo
from fiscus.marketdata.providers.simulated import CATALOGUE
from tests.conftest import _plain


async def test_the_demo_watches_the_simulated_market_with_ten_years_of_history(
    settings: Settings, database_url: str
):
    assert await seed_demo(settings, backfill_now=True) is True
    connection = await asyncpg.connect(_plain(database_url))
    try:
        rows = await connection.fetch(
            "SELECT i.symbol, i.kind, count(p.day) AS days, min(p.day) AS first,"
            " max(p.day) AS last FROM instrument_watches w"
            " JOIN instruments i ON i.id = w.instrument_id"
            " LEFT JOIN daily_prices p ON p.instrument_id = i.id GROUP BY i.symbol, i.kind"
        )
    finally:
        await connection.close()
    assert {r["symbol"] for r in rows} == set(CATALOGUE)
    assert {r["kind"] for r in rows} >= {"equity", "etf", "crypto", "currency"}
    for row in rows:
        # Ten years back, or since the instrument was listed (ETH-USD: 2017).
        ten_years_ago = row["last"].replace(year=row["last"].year - 10)
        expected_first = max(ten_years_ago, CATALOGUE[row["symbol"]].listed)
        assert (row["first"] - expected_first).days <= 7, row["symbol"]
        assert row["days"] >= 0.68 * (row["last"] - row["first"]).days, row["symbol"]
    assert await seed_demo(settings, backfill_now=True) is False  # already there
