"""Bench data for the portfolio benches: realistic instruments (US equities and ETFs) with a
year of weekday closes written through the market-data functions the refresh job uses, and
portfolios whose holdings come from recorded transactions (a deposit, then buys at past
closes), written as the service writes them: the transactions, the holdings cache and the
cached cash in one transaction per portfolio.

Deterministic for a given seed; every amount has at most 2 (prices) or 0 (quantities)
decimals, so market values are exact and no peer needs to round a tie.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import asyncpg

INSTRUMENTS = [
    ("AAPL", "Apple Inc.", "equity"),
    ("MSFT", "Microsoft Corporation", "equity"),
    ("AMZN", "Amazon.com, Inc.", "equity"),
    ("GOOGL", "Alphabet Inc. Class A", "equity"),
    ("META", "Meta Platforms, Inc.", "equity"),
    ("NVDA", "NVIDIA Corporation", "equity"),
    ("TSLA", "Tesla, Inc.", "equity"),
    ("BRK-B", "Berkshire Hathaway Inc. Class B", "equity"),
    ("JPM", "JPMorgan Chase & Co.", "equity"),
    ("JNJ", "Johnson & Johnson", "equity"),
    ("V", "Visa Inc.", "equity"),
    ("PG", "The Procter & Gamble Company", "equity"),
    ("XOM", "Exxon Mobil Corporation", "equity"),
    ("UNH", "UnitedHealth Group Incorporated", "equity"),
    ("HD", "The Home Depot, Inc.", "equity"),
    ("MA", "Mastercard Incorporated", "equity"),
    ("CVX", "Chevron Corporation", "equity"),
    ("ABBV", "AbbVie Inc.", "equity"),
    ("PFE", "Pfizer Inc.", "equity"),
    ("KO", "The Coca-Cola Company", "equity"),
    ("PEP", "PepsiCo, Inc.", "equity"),
    ("MRK", "Merck & Co., Inc.", "equity"),
    ("AVGO", "Broadcom Inc.", "equity"),
    ("COST", "Costco Wholesale Corporation", "equity"),
    ("WMT", "Walmart Inc.", "equity"),
    ("DIS", "The Walt Disney Company", "equity"),
    ("CSCO", "Cisco Systems, Inc.", "equity"),
    ("ADBE", "Adobe Inc.", "equity"),
    ("CRM", "Salesforce, Inc.", "equity"),
    ("NFLX", "Netflix, Inc.", "equity"),
    ("INTC", "Intel Corporation", "equity"),
    ("AMD", "Advanced Micro Devices, Inc.", "equity"),
    ("ORCL", "Oracle Corporation", "equity"),
    ("T", "AT&T Inc.", "equity"),
    ("VZ", "Verizon Communications Inc.", "equity"),
    ("NKE", "NIKE, Inc.", "equity"),
    ("MCD", "McDonald's Corporation", "equity"),
    ("IBM", "International Business Machines Corporation", "equity"),
    ("QCOM", "QUALCOMM Incorporated", "equity"),
    ("TXN", "Texas Instruments Incorporated", "equity"),
    ("SPY", "SPDR S&P 500 ETF Trust", "etf"),
    ("QQQ", "Invesco QQQ Trust", "etf"),
    ("VTI", "Vanguard Total Stock Market ETF", "etf"),
    ("VOO", "Vanguard S&P 500 ETF", "etf"),
    ("IWM", "iShares Russell 2000 ETF", "etf"),
    ("EFA", "iShares MSCI EAFE ETF", "etf"),
    ("AGG", "iShares Core U.S. Aggregate Bond ETF", "etf"),
    ("BND", "Vanguard Total Bond Market ETF", "etf"),
    ("TLT", "iShares 20+ Year Treasury Bond ETF", "etf"),
    ("GLD", "SPDR Gold Shares", "etf"),
    ("VNQ", "Vanguard Real Estate ETF", "etf"),
    ("XLK", "Technology Select Sector SPDR Fund", "etf"),
    ("XLF", "Financial Select Sector SPDR Fund", "etf"),
    ("XLE", "Energy Select Sector SPDR Fund", "etf"),
    ("XLV", "Health Care Select Sector SPDR Fund", "etf"),
    ("SCHD", "Schwab U.S. Dividend Equity ETF", "etf"),
    ("VEA", "Vanguard FTSE Developed Markets ETF", "etf"),
    ("VWO", "Vanguard FTSE Emerging Markets ETF", "etf"),
    ("IEMG", "iShares Core MSCI Emerging Markets ETF", "etf"),
    ("LQD", "iShares iBoxx $ Investment Grade Corporate Bond ETF", "etf"),
]


@dataclass(frozen=True, slots=True)
class SeededInstrument:
    id: uuid.UUID
    symbol: str
    days: list[date]
    closes: list[Decimal]


def weekdays(until: date, count: int) -> list[date]:
    found: list[date] = []
    day = until
    while len(found) < count:
        if day.weekday() < 5:
            found.append(day)
        day -= timedelta(days=1)
    return found[::-1]


async def seed_instruments(
    connection: asyncpg.Connection, count: int, *, until: date, days: int = 260, seed: int = 7
) -> list[SeededInstrument]:
    """``count`` global instruments, each with ``days`` weekday closes up to ``until``
    (a random walk), written by ``fiscus_upsert_instrument`` / ``fiscus_upsert_daily_prices``."""
    if count > len(INSTRUMENTS):
        raise ValueError(f"at most {len(INSTRUMENTS)} instruments")
    rng = random.Random(seed)
    calendar = weekdays(until, days)
    seeded: list[SeededInstrument] = []
    for symbol, name, kind in INSTRUMENTS[:count]:
        instrument_id = await connection.fetchval(
            "SELECT fiscus_upsert_instrument($1, $2, $3, 'USD', 'NASDAQ', 'simulated', $1, 2)",
            symbol,
            name,
            kind,
        )
        price = rng.uniform(20, 600)
        closes: list[Decimal] = []
        for _ in calendar:
            price = max(1.0, price * (1 + rng.gauss(0.0003, 0.015)))
            closes.append(Decimal(f"{price:.2f}"))
        rows = [
            {"day": day.isoformat(), "close": str(close)}
            for day, close in zip(calendar, closes, strict=True)
        ]
        await connection.execute(
            "SELECT fiscus_upsert_daily_prices($1, 'bench', $2::jsonb)",
            instrument_id,
            json.dumps(rows),
        )
        seeded.append(SeededInstrument(instrument_id, symbol, calendar, closes))
    return seeded


async def seed_portfolios(
    connection: asyncpg.Connection,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    instruments: list[SeededInstrument],
    *,
    portfolios: int,
    holdings: int,
    seed: int = 11,
    name: str = "Portfolio",
) -> list[uuid.UUID]:
    """Portfolios of ``holdings`` instruments each: a deposit, then one buy per instrument
    at a past close; the holdings cache and cash as a replay leaves them (one lot per
    instrument, no fee: quantity and cost are the buy's)."""
    rng = random.Random(seed)
    ids: list[uuid.UUID] = []
    for n in range(portfolios):
        portfolio_id = uuid.uuid4()
        ids.append(portfolio_id)
        chosen = rng.sample(instruments, holdings)
        buys = []
        for instrument in chosen:
            index = rng.randrange(0, len(instrument.days) - 20)
            quantity = Decimal(rng.randint(1, 400))
            buys.append((instrument, instrument.days[index], quantity, instrument.closes[index]))
        spent = sum((q * price for _, _, q, price in buys), Decimal(0))
        deposit = (spent * Decimal("1.1")).quantize(Decimal(1))
        first_day = min(day for _, day, _, _ in buys) - timedelta(days=1)
        async with connection.transaction():
            await connection.execute(
                "SELECT set_config('app.org_id', $1, true)", str(org_id)
            )
            await connection.execute(
                """INSERT INTO portfolios (org_id, id, name, base_currency, cost_basis_method,
                   cash) VALUES ($1, $2, $3, 'USD', 'FIFO', $4)""",
                org_id,
                portfolio_id,
                f"{name} {n + 1:02d}",
                deposit - spent,
            )
            await connection.execute(
                """INSERT INTO portfolio_transactions (org_id, id, portfolio_id, type,
                   trade_date, currency, fx_rate, amount, created_by)
                   VALUES ($1, $2, $3, 'DEPOSIT', $4, 'USD', 1, $5, $6)""",
                org_id,
                uuid.uuid4(),
                portfolio_id,
                first_day,
                deposit,
                user_id,
            )
            await connection.executemany(
                """INSERT INTO portfolio_transactions (org_id, id, portfolio_id, type,
                   trade_date, instrument_id, currency, fx_rate, quantity, price, created_by)
                   VALUES ($1, $2, $3, 'BUY', $4, $5, 'USD', 1, $6, $7, $8)""",
                [
                    (org_id, uuid.uuid4(), portfolio_id, day, i.id, q, price, user_id)
                    for i, day, q, price in sorted(buys, key=lambda b: b[1])
                ],
            )
            await connection.executemany(
                """INSERT INTO portfolio_holdings (org_id, portfolio_id, instrument_id,
                   quantity, cost_basis, cost_local) VALUES ($1, $2, $3, $4, $5, $5)""",
                [(org_id, portfolio_id, i.id, q, q * price) for i, _, q, price in buys],
            )
    return ids
