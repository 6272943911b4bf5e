"""Risk figures of a 10-year daily portfolio of 50 holdings.

1. Domain, in this process: the portfolio's daily valuation (``daily_valuation``, issue 6's
   code: 3,650 calendar days x 50 instruments), then the risk figures issue 7 adds on those
   points (trading-day returns linked to the TWR, volatility, downside deviation, Sharpe,
   Sortino, drawdowns, best/worst day and month) and the benchmark figures (beta,
   correlation, tracking error, IR) -- p50/p99 over rounds, next to a numpy floor on the
   same returns (standard deviation and drawdown only, no dates, no Decimals).
2. GraphQL, in process through the ASGI app on a scratch database: ``portfolio(id:) { risk
   { ... } }`` over ten years, end to end (read the transactions and 50 price histories,
   value, measure), with its SQL statement count.

    PYTHONPATH=. python bench/analytics_risk.py [--holdings 50] [--years 10] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import numpy as np
from harness import ADMIN_URL, bench_settings, scratch  # type: ignore[import-not-found]
from sqlalchemy import make_url

from fiscus.app import create_app
from fiscus.domain.analytics import (
    Closes,
    RiskFreeRate,
    daily_returns,
    relative_figures,
    risk_figures,
)
from fiscus.domain.portfolios.model import CostBasisMethod, Transaction, TransactionType
from fiscus.domain.portfolios.valuation import PriceHistory, daily_valuation
from fiscus.persistence.migrate import upgrade
from fiscus.persistence.statements import count_statements

T = TransactionType
RISK = """query($id: ID!) { portfolio(id: $id) { risk(period: MAX, riskFreeRate: "0.02") {
  observations volatility downsideDeviation sharpe sortino currentDrawdown
  maxDrawdown { depth peak trough recovery days } longestDrawdown { days }
  bestDay { date value } worstMonth { date value } } } }"""


def weekdays(start: date, end: date) -> list[date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def walks(count: int, days: list[date], seed: int = 7) -> dict[str, list[Decimal]]:
    rng = np.random.default_rng(seed)
    found = {}
    for n in range(count):
        steps = rng.normal(0.0003, 0.012, len(days))
        closes = 50 * np.exp(np.cumsum(steps))
        found[f"R{n:03d}"] = [Decimal(f"{c:.4f}") for c in closes]
    return found


def transactions(
    ids: dict[str, uuid.UUID], closes: dict[str, list[Decimal]], days: list[date]
) -> list[Transaction]:
    rng = random.Random(11)
    rows: list[Transaction] = []
    seq = iter(range(1, 10_000_000))

    def add(kind: TransactionType, day: date, **kw: Any) -> None:
        rows.append(
            Transaction(
                id=uuid.uuid4(),
                seq=next(seq),
                type=kind,
                date=day,
                currency="USD",
                fx_rate=Decimal(1),
                **kw,
            )
        )

    add(T.DEPOSIT, days[0], amount=Decimal(1_000_000))
    for symbol, iid in ids.items():
        add(
            T.BUY,
            days[0],
            instrument_id=iid,
            quantity=Decimal(300),
            price=closes[symbol][0],
            fee=Decimal(1),
        )
    for k in range(21, len(days), 21):  # roughly monthly: a deposit and a buy
        symbol = rng.choice(list(ids))
        add(T.DEPOSIT, days[k], amount=Decimal(2_000))
        add(
            T.BUY,
            days[k],
            instrument_id=ids[symbol],
            quantity=Decimal(10),
            price=closes[symbol][k],
            fee=Decimal(1),
        )
    return rows


def timed(call: Callable[[], Any], rounds: int) -> tuple[list[float], Any]:
    spent, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = call()
        spent.append(time.perf_counter() - started)
    return spent, result


def summary(spent: list[float]) -> str:
    cuts = statistics.quantiles(spent, n=100, method="inclusive") if len(spent) > 1 else spent * 99
    return f"p50 {cuts[49] * 1000:8.2f} ms   p99 {cuts[98] * 1000:8.2f} ms"


def domain(args: argparse.Namespace) -> tuple[list[date], dict[str, list[Decimal]]]:
    end = date(2025, 12, 31)
    start = end.replace(year=end.year - args.years) + timedelta(days=1)
    days = weekdays(start, end)
    closes = walks(args.holdings, days)
    ids = {symbol: uuid.uuid4() for symbol in closes}
    prices = {ids[s]: PriceHistory("USD", days, c) for s, c in closes.items()}
    rows = transactions(ids, closes, days)

    def value() -> Any:
        return daily_valuation(
            rows,
            method=CostBasisMethod.FIFO,
            prices=prices,
            fx={},
            base_currency="USD",
            start=start - timedelta(days=1),
            end=end,
        )

    valuation_time, points = timed(value, 3)
    first = start - timedelta(days=1)
    bench_closes = Closes([first, *days], [closes["R000"][0], *closes["R000"]])
    rf = RiskFreeRate(Decimal("0.02"))

    def measure() -> Any:
        returns = daily_returns(points, first, end)
        return risk_figures(returns, rf), relative_figures(returns, bench_closes)

    measure()  # warm
    risk_time, (figures, relative) = timed(measure, args.rounds)
    returns = daily_returns(points, first, end).returns

    def floor() -> float:
        growth = np.cumprod(1 + returns)
        depth = float(np.min(growth / np.maximum.accumulate(growth) - 1))
        return float(np.std(returns, ddof=1)) * np.sqrt(252) + depth

    floor_time, _ = timed(floor, args.rounds)
    print(
        f"analytics_risk: {args.holdings} holdings x {args.years} years "
        f"({len(points)} daily points, {len(rows)} transactions, {figures.observations} "
        f"trading-day returns)"
    )
    print(f"  daily valuation (issue 6, context)     {summary(valuation_time)}")
    print(f"  risk + benchmark figures (issue 7)     {summary(risk_time)}   (target: under 100 ms)")
    print(f"  numpy floor (std + max drawdown only)  {summary(floor_time)}")
    print(
        f"  volatility {figures.volatility}  sharpe {figures.sharpe}  max drawdown "
        f"{figures.max_drawdown.depth if figures.max_drawdown else None}  beta {relative.beta}"
    )
    return days, closes


async def over_graphql(
    args: argparse.Namespace, days: list[date], closes: dict[str, list[Decimal]]
) -> None:
    async with scratch("risk") as (database, prefix):
        with tempfile.TemporaryDirectory() as data_dir:
            settings = bench_settings(database, prefix, Path(data_dir))
            await asyncio.to_thread(upgrade, settings)
            owner_url = make_url(ADMIN_URL).set(database=database, drivername="postgresql")
            connection = await asyncpg.connect(owner_url.render_as_string(hide_password=False))
            try:
                for symbol, values in closes.items():
                    iid = await connection.fetchval(
                        "SELECT fiscus_upsert_instrument($1, $1, 'equity', 'USD', 'EX',"
                        " 'simulated', $1, 4)",
                        symbol,
                    )
                    bars = [
                        {"day": d.isoformat(), "close": str(c)}
                        for d, c in zip(days, values, strict=True)
                    ]
                    await connection.execute(
                        "SELECT fiscus_upsert_daily_prices($1, 'simulated', $2::jsonb)",
                        iid,
                        json.dumps(bars),
                    )
            finally:
                await connection.close()
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://b", timeout=120
                ) as client:
                    token = await _account(client)
                    headers = {"authorization": f"Bearer {token}"}
                    pid = await _portfolio(client, headers, days, closes)
                    spent, statements = [], 0
                    for _ in range(5):
                        with count_statements() as log:
                            started = time.perf_counter()
                            response = await client.post(
                                "/graphql",
                                json={"query": RISK, "variables": {"id": pid}},
                                headers=headers,
                            )
                            spent.append(time.perf_counter() - started)
                        body = response.json()
                        assert "errors" not in body, body
                        statements = log.count
    print(
        f"  GraphQL portfolio.risk, end to end     {summary(spent)}   "
        f"({statements} SQL statements; includes reading and valuing the ten years)"
    )


async def _account(client: httpx.AsyncClient) -> str:
    body = (
        await client.post(
            "/graphql",
            json={
                "query": """mutation { signUp(input: {
      email: "bench@bench.example", password: "bench-password-123", displayName: "Bench",
      organizationName: "Bench"}) { ... on AuthPayload { accessToken } } }"""
            },
        )
    ).json()
    token: str = body["data"]["signUp"]["accessToken"]
    return token


async def _portfolio(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    days: list[date],
    closes: dict[str, list[Decimal]],
) -> str:
    created = (
        await client.post(
            "/graphql",
            headers=headers,
            json={
                "query": """mutation {
      createPortfolio(input: {name: "Bench", baseCurrency: "USD"}) {
        ... on PortfolioSuccess { portfolio { id } } } }"""
            },
        )
    ).json()
    pid: str = created["data"]["createPortfolio"]["portfolio"]["id"]
    rows: list[dict[str, str]] = [
        {"type": "DEPOSIT", "date": days[0].isoformat(), "amount": "1000000"}
    ]
    rows += [
        {
            "type": "BUY",
            "date": days[0].isoformat(),
            "symbol": s,
            "quantity": "300",
            "price": str(c[0]),
            "fee": "1",
        }
        for s, c in closes.items()
    ]
    rng = random.Random(11)
    for k in range(21, len(days), 21):
        symbol = rng.choice(list(closes))
        rows.append({"type": "DEPOSIT", "date": days[k].isoformat(), "amount": "2000"})
        rows.append(
            {
                "type": "BUY",
                "date": days[k].isoformat(),
                "symbol": symbol,
                "quantity": "10",
                "price": str(closes[symbol][k]),
                "fee": "1",
            }
        )
    recorded = (
        await client.post(
            "/graphql",
            headers=headers,
            json={
                "query": """
      mutation($input: RecordPortfolioTransactionsInput!) {
        recordPortfolioTransactions(input: $input) { __typename } }""",
                "variables": {
                    "input": {"portfolioId": pid, "idempotencyKey": "b", "transactions": rows}
                },
            },
        )
    ).json()
    assert (
        recorded["data"]["recordPortfolioTransactions"]["__typename"]
        == "RecordPortfolioTransactionsSuccess"
    ), recorded
    return pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holdings", type=int, default=50)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--no-graphql", action="store_true")
    args = parser.parse_args()
    days, closes = domain(args)
    if not args.no_graphql:
        asyncio.run(over_graphql(args, days, closes))


if __name__ == "__main__":
    main()
