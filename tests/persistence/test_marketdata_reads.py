"""Market-data reads over the real read path: global instruments for everyone, manual ones
for their organization only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from fiscus.domain.identity import Principal, Role
from fiscus.domain.marketdata import InstrumentKind
from fiscus.services.identity.auth import AuthResult
from fiscus.services.marketdata import queries
from tests.conftest import _plain
from tests.persistence.test_row_level_security import _two_orgs


def principal_of(account: AuthResult, role: Role = Role.OWNER) -> Principal:
    return Principal(
        account.user.id,
        account.organization.id,
        role,
        uuid.uuid4(),
        datetime.now(UTC) + timedelta(hours=1),
    )


async def insert_global(database_url: str, symbol: str, kind: str = "equity") -> uuid.UUID:
    """As the owner: the app role cannot write global tables (that is tested elsewhere)."""
    connection = await asyncpg.connect(_plain(database_url))
    try:
        found: uuid.UUID = await connection.fetchval(
            "INSERT INTO instruments (id, symbol, name, kind, currency, price_precision,"
            " provider, provider_symbol) VALUES ($1, $2::text, $2::text || ' Inc', $3, 'USD', 2,"
            " 'simulated', $2::text) RETURNING id",
            uuid.uuid4(),
            symbol,
            kind,
        )
        return found
    finally:
        await connection.close()


async def insert_manual(
    database_url: str, org_id: uuid.UUID, user_id: uuid.UUID, symbol: str
) -> uuid.UUID:
    connection = await asyncpg.connect(_plain(database_url))
    try:
        found: uuid.UUID = await connection.fetchval(
            "INSERT INTO manual_instruments (org_id, id, symbol, name, kind, currency,"
            " price_precision, created_by) VALUES ($1, $2, $3, 'House', 'other', 'EUR', 2, $4)"
            " RETURNING id",
            org_id,
            uuid.uuid4(),
            symbol,
            user_id,
        )
        return found
    finally:
        await connection.close()


async def test_symbols_resolve_to_global_and_own_manual_instruments_only(runtime, database_url):
    a, b = await _two_orgs(runtime)
    aapl = await insert_global(database_url, "AAPL")
    house_a = await insert_manual(database_url, a.organization.id, a.user.id, "HOUSE")
    await insert_manual(database_url, b.organization.id, b.user.id, "FLAT")

    found = await queries.instruments_by_symbols(
        runtime.marketdata, principal_of(a), ["aapl", " house ", "FLAT", "nope", "bad symbol!"]
    )

    assert set(found) == {"AAPL", "HOUSE"}
    assert found["AAPL"].id == aapl and not found["AAPL"].is_manual
    assert found["AAPL"].kind is InstrumentKind.EQUITY and found["AAPL"].provider == "simulated"
    assert found["HOUSE"].id == house_a and found["HOUSE"].org_id == a.organization.id
    seen_by_b = await queries.instruments_by_symbols(runtime.marketdata, principal_of(b), ["HOUSE"])
    assert seen_by_b == {}


async def test_without_a_principal_only_global_instruments_are_visible(runtime, database_url):
    a, _ = await _two_orgs(runtime)
    await insert_global(database_url, "BTC-USD", "crypto")
    await insert_manual(database_url, a.organization.id, a.user.id, "HOUSE")
    found = await queries.instruments_by_symbols(runtime.marketdata, None, ["BTC-USD", "HOUSE"])
    assert list(found) == ["BTC-USD"]
