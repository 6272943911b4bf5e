"""Bench data for the portfolio benches: realistic instruments (US equities and ETFs) with a
year of weekday closes written through the market-data functions the refresh job uses, and
portfolios whose holdings come from transactions recorded through the portfolio services
(a deposit, then buys at past closes).

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

from fiscus.domain.identity import Principal
from fiscus.runtime import Runtime
from fiscus.services.portfolios.portfolios import create_portfolio
from fiscus.services.portfolios.recording import record_transactions
from fiscus.services.portfolios.rows import TransactionInput

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
    runtime: Runtime,
    principal: Principal,
    instruments: list[SeededInstrument],
    *,
    portfolios: int,
    holdings: int,
    seed: int = 11,
    name: str = "Portfolio",
) -> list[uuid.UUID]:
    """Portfolios of ``holdings`` instruments each, recorded through the portfolio services
    (one call per portfolio: a deposit, then one buy per instrument at a past close), which
    write the transactions, the holdings cache and the cash as the API does."""
    rng = random.Random(seed)
    ids: list[uuid.UUID] = []
    for n in range(portfolios):
        created = await create_portfolio(
            runtime.portfolios, principal, name=f"{name} {n + 1:02d}", base_currency="USD"
        )
        ids.append(created.id)
        buys: list[TransactionInput] = []
        for instrument in rng.sample(instruments, holdings):
            index = rng.randrange(0, len(instrument.days) - 20)
            buys.append(
                TransactionInput(
                    type="BUY",
                    date=instrument.days[index],
                    symbol=instrument.symbol,
                    quantity=Decimal(rng.randint(1, 400)),
                    price=instrument.closes[index],
                )
            )
        spent = sum((b.quantity * b.price for b in buys if b.quantity and b.price), Decimal(0))
        first = min(b.date for b in buys) - timedelta(days=1)
        deposit = TransactionInput(
            type="DEPOSIT", date=first, amount=(spent * Decimal("1.1")).quantize(Decimal(1))
        )
        await record_transactions(
            runtime.portfolios,
            principal,
            created.id,
            [deposit, *sorted(buys, key=lambda b: b.date)],
            idempotency_key=f"bench-seed-{created.id}",
        )
    return ids
