"""The global market-data tables, as the app role sees them: readable, writable only
through the SECURITY DEFINER functions."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from fiscus.config import Settings
from fiscus.persistence.database import app_url


@pytest.fixture
async def as_app(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    dsn = app_url(settings.database).set(drivername="postgresql")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    yield connection
    await connection.close()


UPSERT_AAPL = (
    "SELECT fiscus_upsert_instrument('AAPL', 'Apple Inc', 'equity', 'USD', 'NMS',"
    " 'simulated', 'AAPL', 2)"
)


async def test_the_app_role_cannot_write_global_tables_directly(as_app):
    instrument = await as_app.fetchval(UPSERT_AAPL)
    attempts = [
        "INSERT INTO instruments (id, symbol, name, kind, currency, price_precision)"
        f" VALUES ('{uuid.uuid4()}', 'X', 'X', 'equity', 'USD', 2)",
        "UPDATE instruments SET name = 'Hijacked'",
        "DELETE FROM instruments",
        f"INSERT INTO daily_prices (instrument_id, day, close, source) VALUES ('{instrument}',"
        " '2024-01-02', 1, 'x')",
        "UPDATE daily_prices SET close = 1",
        "DELETE FROM daily_prices",
        f"INSERT INTO corporate_actions (instrument_id, day, kind, ratio, source) VALUES"
        f" ('{instrument}', '2024-01-02', 'split', 2, 'x')",
        "UPDATE corporate_actions SET ratio = 3",
        "DELETE FROM corporate_actions",
    ]
    for sql in attempts:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await as_app.execute(sql)
    assert await as_app.fetchval("SELECT name FROM instruments") == "Apple Inc"


async def test_upserts_write_only_what_changed(as_app):
    instrument = await as_app.fetchval(UPSERT_AAPL)
    assert await as_app.fetchval(UPSERT_AAPL) == instrument
    rows = [
        {"day": "2024-01-02", "close": "185.64", "volume": 100},
        {"day": "2024-01-03", "close": "184.25"},
        {"day": "2024-01-03", "close": "184.30"},  # the last of a duplicated day wins
    ]
    upsert = "SELECT fiscus_upsert_daily_prices($1, 'simulated', $2::jsonb)"
    assert await as_app.fetchval(upsert, instrument, json.dumps(rows)) == 2
    assert await as_app.fetchval(upsert, instrument, json.dumps(rows)) == 0
    changed = [{"day": "2024-01-03", "close": "184.3000"}, {"day": "2024-01-04", "close": "181.91"}]
    assert await as_app.fetchval(upsert, instrument, json.dumps(changed)) == 1
    closes = await as_app.fetch("SELECT day::text, close FROM daily_prices ORDER BY day")
    assert [(r[0], str(r[1])) for r in closes] == [
        ("2024-01-02", "185.64"),
        ("2024-01-03", "184.30"),
        ("2024-01-04", "181.91"),
    ]
    actions = [{"day": "2024-01-02", "kind": "dividend", "amount": "0.24"}]
    upsert_actions = "SELECT fiscus_upsert_corporate_actions($1, 'simulated', $2::jsonb)"
    assert await as_app.fetchval(upsert_actions, instrument, json.dumps(actions)) == 1
    assert await as_app.fetchval(upsert_actions, instrument, json.dumps(actions)) == 0
    with pytest.raises(asyncpg.CheckViolationError):
        await as_app.fetchval(
            upsert_actions, instrument, json.dumps([{"day": "2024-01-05", "kind": "split"}])
        )
