"""Shared set-up for portfolio tests: a small market (two USD equities, a EUR equity, the
EUR/USD pair, with daily closes through 2024) and two organizations."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from fiscus.domain.identity import Principal
from fiscus.services.portfolios import portfolios
from fiscus.services.portfolios.rows import TransactionInput
from tests.conftest import _plain
from tests.persistence.test_marketdata_reads import principal_of
from tests.persistence.test_row_level_security import _two_orgs

START = date(2023, 12, 1)
END = date.today()
MARKET = {
    # symbol: (kind, currency, first close, daily step)
    "AAPL": ("equity", "USD", Decimal("100.00"), Decimal("0.10")),
    "MSFT": ("equity", "USD", Decimal("200.00"), Decimal("0.20")),
    "SAP.DE": ("equity", "EUR", Decimal("50.00"), Decimal("0.05")),
    "EURUSD=X": ("currency", "USD", Decimal("1.10000"), Decimal("0")),
}


def close_on(symbol: str, day: date) -> Decimal:
    _, _, first, step = MARKET[symbol]
    return first + step * (day - START).days


async def seed_market(database_url: str) -> dict[str, uuid.UUID]:
    """The market above, as the owner (the app role cannot write global tables)."""
    connection = await asyncpg.connect(_plain(database_url))
    ids: dict[str, uuid.UUID] = {}
    try:
        for symbol, (kind, currency, _, _) in MARKET.items():
            found: uuid.UUID = await connection.fetchval(
                "SELECT fiscus_upsert_instrument($1, $1 || ' Inc', $2, $3, 'EX', 'simulated',"
                " $1, 4)",
                symbol,
                kind,
                currency,
            )
            ids[symbol] = found
            bars = []
            day = START
            while day <= END:
                bars.append({"day": day.isoformat(), "close": str(close_on(symbol, day))})
                day += timedelta(days=1)
            await connection.execute(
                "SELECT fiscus_upsert_daily_prices($1, 'simulated', $2::jsonb)",
                found,
                json.dumps(bars),
            )
    finally:
        await connection.close()
    return ids


@dataclass
class Orgs:
    principal: Principal
    other: Principal


async def orgs(runtime: Any) -> Orgs:
    a, b = await _two_orgs(runtime)
    return Orgs(principal_of(a), principal_of(b))


async def portfolio(runtime: Any, principal: Principal, name: str = "Main", **kw: Any) -> uuid.UUID:
    created = await portfolios.create_portfolio(
        runtime.portfolios,
        principal,
        name=name,
        base_currency=kw.pop("base_currency", "USD"),
        cost_basis_method=kw.pop("method", "FIFO"),
        allow_margin=kw.pop("allow_margin", False),
    )
    return created.id


def row(kind: str, day: str, **kw: Any) -> TransactionInput:
    values = {k: Decimal(v) if k in DECIMALS and v is not None else v for k, v in kw.items()}
    return TransactionInput(type=kind, date=date.fromisoformat(day), **values)


DECIMALS = {"quantity", "price", "fee", "amount", "ratio"}
