"""Recording 10,000 transactions in one call (`recordPortfolioTransactions`), all or
nothing: every row parsed and bounded, its symbol resolved, its FX rate filled, the whole
history replayed once (in the replay process), one INSERT, the holdings cache and cash
rewritten, the audit event -- through the service layer (this process) and through GraphQL
on one `fiscus serve` process -- next to a floor measured in the same run: the same rows
inserted by plain asyncpg in one statement (no parsing, no checks, no replay, no cache).

Also timed: recomputing the same 10,000-row portfolio (`updatePortfolio` with another
cost-basis method: the history read, replayed in the replay process, the cache rewritten),
and the SQL statements per call (counted in-process). Prints the load average too: the
machine is shared.

    PYTHONPATH=. python bench/portfolio_record.py [--rows 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from harness import (  # type: ignore[import-not-found]
    bench_settings,
    free_port,
    scratch,
    start_server,
    wait_ready,
)

from fiscus.domain.identity import Principal
from fiscus.persistence.migrate import upgrade
from fiscus.persistence.statements import count_statements
from fiscus.runtime import Runtime
from fiscus.services.identity.auth import sign_up
from fiscus.services.portfolios import portfolios, recording
from fiscus.services.portfolios.rows import TransactionInput

RECORD = """mutation($input: RecordPortfolioTransactionsInput!) {
  recordPortfolioTransactions(input: $input) { __typename
    ... on RecordPortfolioTransactionsSuccess { recorded } ... on UserError { code message } } }"""
CREATE = """mutation($name: String!) { createPortfolio(input: {name: $name, baseCurrency: "USD"})
  { ... on PortfolioSuccess { portfolio { id } } } }"""
SIGN_UP = """mutation { signUp(input: {email: "bench@fiscus.dev", password: "bench-password-1",
  displayName: "Bench", organizationName: "Bench"}) { ... on AuthPayload { accessToken } } }"""
UPDATE = """mutation($id: ID!, $method: CostBasisMethod!) { updatePortfolio(input:
  {portfolioId: $id, costBasisMethod: $method}) { __typename } }"""
SYMBOLS = ("BNCHA", "BNCHB", "BNCHC")


def rows(count: int) -> list[dict[str, Any]]:
    """A deposit, then buys, sells and dividends of three instruments over a year."""
    found: list[dict[str, Any]] = [{"type": "DEPOSIT", "date": "2024-01-02", "amount": "90000000"}]
    start = date(2024, 1, 3)
    for i in range(count - 1):
        day = (start + timedelta(days=i * 360 // count)).isoformat()
        symbol = SYMBOLS[i % len(SYMBOLS)]
        price = str(Decimal(100 + i % 37) + Decimal(i % 100) / 100)
        if i % 5 == 4:
            found.append(
                {
                    "type": "SELL",
                    "date": day,
                    "symbol": symbol,
                    "quantity": "1",
                    "price": price,
                    "fee": "0.5",
                    "reference": f"r{i}",
                }
            )
        elif i % 11 == 10:
            found.append({"type": "DIVIDEND", "date": day, "symbol": symbol, "amount": "3.10"})
        else:
            found.append(
                {
                    "type": "BUY",
                    "date": day,
                    "symbol": symbol,
                    "quantity": "2",
                    "price": price,
                    "fee": "1",
                    "reference": f"r{i}",
                }
            )
    return found


def service_rows(raw: list[dict[str, Any]]) -> list[TransactionInput]:
    def number(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    return [
        TransactionInput(
            type=r["type"],
            date=date.fromisoformat(r["date"]),
            symbol=r.get("symbol"),
            quantity=number(r.get("quantity")),
            price=number(r.get("price")),
            fee=number(r.get("fee")),
            amount=number(r.get("amount")),
            reference=r.get("reference"),
        )
        for r in raw
    ]


async def seed_instruments(url: str) -> dict[str, uuid.UUID]:
    connection = await asyncpg.connect(url)
    try:
        return {
            s: await connection.fetchval(
                "SELECT fiscus_upsert_instrument($1, $1, 'equity', 'USD', 'EX', 'simulated',"
                " $1, 2)",
                s,
            )
            for s in SYMBOLS
        }
    finally:
        await connection.close()


async def floor(
    url: str, org_id: uuid.UUID, raw: list[dict[str, Any]], ids: dict[str, uuid.UUID]
) -> float:
    """The same rows into a new portfolio, as the owner, in one plain statement."""
    portfolio_id = uuid.uuid4()
    payload = json.dumps(
        [
            {
                "id": str(uuid.uuid4()),
                "type": r["type"],
                "trade_date": r["date"],
                "instrument_id": str(ids[r["symbol"]]) if r.get("symbol") else None,
                "quantity": r.get("quantity"),
                "price": r.get("price"),
                "fee": r.get("fee", "0"),
                "amount": r.get("amount"),
                "reference": r.get("reference"),
            }
            for r in raw
        ]
    )
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "INSERT INTO portfolios (org_id, id, name, base_currency, cost_basis_method)"
            " VALUES ($1, $2, $3, 'USD', 'FIFO')",
            org_id,
            portfolio_id,
            f"floor {portfolio_id}",
        )
        started = time.perf_counter()
        await connection.execute(
            """INSERT INTO portfolio_transactions (org_id, id, portfolio_id, type, trade_date,
                 instrument_id, currency, fx_rate, quantity, price, fee, amount, reference)
               SELECT $1, r.id, $2, r.type, r.trade_date, r.instrument_id, 'USD', 1,
                      r.quantity, r.price, r.fee, r.amount, r.reference
               FROM jsonb_to_recordset($3::jsonb) AS r(id uuid, type text, trade_date date,
                 instrument_id uuid, quantity numeric, price numeric, fee numeric,
                 amount numeric, reference text)""",
            org_id,
            portfolio_id,
            payload,
        )
        return time.perf_counter() - started
    finally:
        await connection.close()


def summary(label: str, seconds: list[float], count: int, extra: str = "") -> None:
    ordered = sorted(seconds)
    p50 = statistics.median(ordered)
    p99 = ordered[-1]  # few rounds: the slowest
    print(f"{label:<34} p50 {p50:7.2f} s  p99 {p99:7.2f} s  {count / p50:9.0f} rows/s  {extra}")


async def main(count: int, rounds: int) -> None:
    raw = rows(count)
    async with scratch("portfolio_record") as (database, prefix):
        settings = bench_settings(database, prefix, Path(tempfile.mkdtemp()))
        await asyncio.to_thread(upgrade, settings)
        assert settings.database.url is not None
        owner_url = settings.database.url.get_secret_value().replace("+asyncpg", "")
        ids = await seed_instruments(owner_url)
        runtime = await Runtime.open(settings)
        try:
            account = await sign_up(
                runtime.identity,
                email="service@fiscus.dev",
                password="bench-password-1",
                display_name="Bench",
                organization_name="Bench service",
            )
            principal: Principal = runtime.identity.tokens.decode(account.access_token)
            inputs = service_rows(raw)
            service: list[float] = []
            statements = 0
            pid = None
            for n in range(rounds):
                pid = (
                    await portfolios.create_portfolio(
                        runtime.portfolios, principal, name=f"S{n}", base_currency="USD"
                    )
                ).id
                started = time.perf_counter()
                with count_statements() as log:
                    await recording.record_transactions(
                        runtime.portfolios, principal, pid, inputs, idempotency_key=f"s{n}"
                    )
                service.append(time.perf_counter() - started)
                statements = log.count
            recompute: list[float] = []
            assert pid is not None
            for method in ("HIFO", "LIFO", "FIFO")[: max(rounds, 1)]:
                started = time.perf_counter()
                await portfolios.update_portfolio(
                    runtime.portfolios,
                    principal,
                    pid,
                    portfolios.PortfolioChanges(cost_basis_method=method),
                )
                recompute.append(time.perf_counter() - started)
            floors = [await floor(owner_url, principal.org_id, raw, ids) for _ in range(rounds)]
        finally:
            await runtime.close()

        port = free_port()
        server = start_server(settings, port)
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_ready(server, base)
            async with httpx.AsyncClient(base_url=base, timeout=300) as client:
                token = (await client.post("/graphql", json={"query": SIGN_UP})).json()["data"][
                    "signUp"
                ]["accessToken"]
                headers = {"authorization": f"Bearer {token}"}
                graphql: list[float] = []
                cpu: list[float] = []
                for n in range(rounds):
                    created = await client.post(
                        "/graphql",
                        json={"query": CREATE, "variables": {"name": f"G{n}"}},
                        headers=headers,
                    )
                    gid = created.json()["data"]["createPortfolio"]["portfolio"]["id"]
                    body = {
                        "query": RECORD,
                        "variables": {
                            "input": {
                                "portfolioId": gid,
                                "idempotencyKey": f"g{n}",
                                "transactions": raw,
                            }
                        },
                    }
                    cpu_before = _cpu(server.pid)
                    started = time.perf_counter()
                    response = await client.post("/graphql", json=body, headers=headers)
                    graphql.append(time.perf_counter() - started)
                    cpu.append(_cpu(server.pid) - cpu_before)
                    result = response.json()["data"]["recordPortfolioTransactions"]
                    assert result.get("recorded") == count, result
        finally:
            server.terminate()
            server.wait(timeout=30)

    print(f"{count} transactions per call, {rounds} rounds; load average {os.getloadavg()}")
    summary("service layer (this process)", service, count, f"{statements} SQL statements")
    summary(
        "GraphQL (one fiscus serve)",
        graphql,
        count,
        f"server CPU {statistics.median(cpu):.2f} s per call",
    )
    summary("floor: one plain INSERT (asyncpg)", floors, count)
    ordered = sorted(recompute)
    print(
        f"{'recompute (updatePortfolio, service)':<34} p50 {statistics.median(ordered):7.2f} s"
        f"  p99 {ordered[-1]:7.2f} s"
    )


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its children (the replay process)."""
    total = 0.0
    for candidate in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{candidate}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.rounds))
