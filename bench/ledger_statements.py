"""Statements on a large ledger: 500 accounts, 1,000,000 lines over five years.

Loading: the books are written as the owner (superuser) with COPY straight into the tables —
accounts, entries, then every line in ONE COPY inside the same transaction as the entries
(the insert trigger demands lines of entries posted by the same transaction, balanced per
entry and currency, and checks them per statement), then the derived summaries
(`ledger_account_days`, `ledger_account_months`) with one INSERT ... SELECT ... GROUP BY each,
as the posting function would have maintained them. Entries have two lines; accounts are
drawn Zipf-like (a few busy ones, a long tail), days uniformly.

Timed (p50/p99 over --rounds): the balance sheet and the income statement with 12 monthly
columns, and one account's balance as of a date — through the service layer (in process)
and through GraphQL (a `fiscus serve` process), next to a floor measured in the same run:
the raw summary aggregate alone on asyncpg. Targets: statements < 300 ms, balance < 5 ms.

    python bench/ledger_statements.py [--lines 1000000] [--accounts 500] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import asyncpg
import httpx
from sqlalchemy import make_url

from bench.harness import bench_settings, free_port, scratch, start_server, wait_ready
from fiscus.domain.ledger.statements import Interval, StatementKind
from fiscus.persistence.migrate import upgrade
from fiscus.persistence.reads.ledger.summary import COLUMN_SUMS, cover
from fiscus.runtime import Runtime
from fiscus.schema.relay import to_global_id
from fiscus.services.identity.auth import sign_up
from fiscus.services.ledger import statements

TYPES = ["asset"] * 150 + ["liability"] * 50 + ["equity"] * 20 + ["income"] * 80
TYPES += ["expense"] * 200
YEARS = 5
END = date(2025, 12, 31)
START = END - timedelta(days=365 * YEARS)


async def load(dsn: str, org_id: uuid.UUID, lines: int, accounts: int) -> list[uuid.UUID]:
    rng = random.Random(7)
    ids = [uuid.uuid4() for _ in range(accounts)]
    weights = [1 / (n + 1) ** 0.8 for n in range(accounts)]
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "ledger_accounts",
                columns=["id", "org_id", "code", "name", "type", "currency", "tags"],
                records=[
                    (
                        ids[n],
                        org_id,
                        f"{n:04d}",
                        f"Account {n}",
                        TYPES[n % len(TYPES)],
                        "USD",
                        '{"cash": "true"}' if n == 0 else "{}",
                    )
                    for n in range(accounts)
                ],
            )
            entries = lines // 2
            now = datetime.now(UTC)
            entry_rows, line_buffer = [], io.StringIO()
            span = (END - START).days
            picks = rng.choices(range(accounts), weights=weights, k=entries * 2)
            for n in range(entries):
                entry = uuid.uuid4()
                day = START + timedelta(days=rng.randrange(span + 1))
                entry_rows.append((entry, org_id, day, "posted", now))
                amount = f"{rng.randrange(100, 500_000) / 100:.2f}"
                debit, credit = picks[2 * n], picks[2 * n + 1]
                line_buffer.write(f"{entry}\t1\t{ids[debit]}\t{org_id}\t{day}\t{amount}\tUSD\n")
                line_buffer.write(f"{entry}\t2\t{ids[credit]}\t{org_id}\t{day}\t-{amount}\tUSD\n")
            await connection.copy_records_to_table(
                "journal_entries",
                columns=["id", "org_id", "entry_date", "status", "posted_at"],
                records=entry_rows,
            )
            line_buffer.seek(0)
            await connection.copy_to_table(
                "journal_lines",
                source=io.BytesIO(line_buffer.getvalue().encode()),
                columns=[
                    "entry_id",
                    "line_no",
                    "account_id",
                    "org_id",
                    "entry_date",
                    "amount",
                    "currency",
                ],
            )
            # Both summaries, as the posting function writes them.
            await connection.execute(
                "INSERT INTO ledger_account_days (org_id, account_id, currency, day, amount_sum,"
                " line_count) SELECT org_id, account_id, currency, entry_date, sum(amount),"
                " count(*) FROM journal_lines WHERE org_id = $1 GROUP BY 1, 2, 3, 4",
                org_id,
            )
            await connection.execute(
                "INSERT INTO ledger_account_months (org_id, account_id, currency, month,"
                " amount_sum, line_count) SELECT org_id, account_id, currency,"
                " date_trunc('month', entry_date)::date, sum(amount), count(*)"
                " FROM journal_lines WHERE org_id = $1 GROUP BY 1, 2, 3, 4",
                org_id,
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return ids


async def timed(call: Callable[[], Awaitable[object]], rounds: int) -> str:
    await call()  # warm: prepared statements, caches
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return f"p50 {statistics.median(samples):8.2f} ms   p99 {p99:8.2f} ms"


def gql_statement(field: str, from_day: date, to_day: date) -> str:
    return (
        f'{{ {field}(from: "{from_day}", to: "{to_day}", interval: MONTH) '
        "{ lines { key amounts } } }"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    async with scratch("ledger_statements") as (database, prefix):
        with TemporaryDirectory() as data_dir:
            settings = bench_settings(database, prefix, Path(data_dir))
            await asyncio.to_thread(upgrade, settings)
            runtime = await Runtime.open(settings)
            port = free_port()
            server = start_server(settings, port)
            try:
                account = await sign_up(
                    runtime.identity,
                    email="bench@bench.example",
                    password="bench-password-123",
                    display_name="Bench",
                    organization_name="Bench Org",
                )
                principal = runtime.identity.tokens.decode(account.access_token)
                assert settings.database.url is not None
                dsn = (
                    make_url(settings.database.url.get_secret_value())
                    .set(drivername="postgresql")
                    .render_as_string(hide_password=False)
                )
                started = time.perf_counter()
                ids = await load(dsn, principal.org_id, args.lines, args.accounts)
                print(
                    f"loaded {args.lines:,} lines / {args.accounts} accounts over {YEARS} "
                    f"years in {time.perf_counter() - started:.1f} s"
                )
                await wait_ready(server, f"http://127.0.0.1:{port}")
                from_day, to_day = date(2025, 1, 1), END
                bounds = [date(2025, m, 1) for m in range(1, 13)] + [date(2026, 1, 1)]
                floor = await asyncpg.connect(dsn)

                async def raw(since: date) -> None:
                    # The statement the service issues for these sums (months + edge days).
                    await floor.fetch(
                        COLUMN_SUMS.sql,
                        *COLUMN_SUMS.arguments(
                            {
                                "org_id": principal.org_id,
                                "bounds": bounds,
                                "accounts": [],
                                **cover(since, to_day, bounds).parameters(),
                            }
                        ),
                    )

                async def days_only(since: date) -> None:
                    # The same sums from the per-day summary alone (before migration 0006).
                    await floor.fetch(
                        "SELECT account_id, currency, width_bucket(day, $1::date[]) - 1,"
                        " sum(amount_sum) FROM ledger_account_days WHERE org_id = $2"
                        " AND day >= $3 AND day <= $4 GROUP BY 1, 2, 3",
                        bounds,
                        principal.org_id,
                        since,
                        to_day,
                    )

                def service(kind: StatementKind) -> Callable[[], Awaitable[object]]:
                    request = statements.StatementRequest(kind, from_day, to_day, Interval.MONTH)
                    return lambda: statements.build_statement(runtime.ledger, principal, request)

                def mid_month(kind: StatementKind) -> Callable[[], Awaitable[object]]:
                    request = statements.StatementRequest(
                        kind, date(2025, 1, 15), date(2025, 12, 20), Interval.MONTH
                    )
                    return lambda: statements.build_statement(runtime.ledger, principal, request)

                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}",
                    headers={"authorization": f"Bearer {account.access_token}"},
                    timeout=60,
                ) as client:

                    async def answered(query: str) -> None:
                        reply = (await client.post("/graphql", json={"query": query})).json()
                        if reply.get("errors") or not reply.get("data"):
                            raise RuntimeError(f"GraphQL failed: {reply}")

                    def graphql(field: str) -> Callable[[], Awaitable[object]]:
                        query = gql_statement(field, from_day, to_day)
                        return lambda: answered(query)

                    balance_query = (
                        f'{{ account(id: "{to_global_id("Account", ids[0])}") '
                        '{ balance(asOf: "2024-06-30") } }'
                    )
                    rows = [
                        ("floor: days only, 12 months + opening", lambda: days_only(date.min)),
                        ("floor: months + days, 12 months + opening", lambda: raw(date.min)),
                        ("floor: months + days, 12 months", lambda: raw(from_day)),
                        ("balance sheet (service)", service(StatementKind.BALANCE_SHEET)),
                        ("income statement (service)", service(StatementKind.INCOME_STATEMENT)),
                        ("balance sheet (GraphQL)", graphql("balanceSheet")),
                        ("income statement (GraphQL)", graphql("incomeStatement")),
                        (
                            "balance sheet, mid-month columns (service)",
                            mid_month(StatementKind.BALANCE_SHEET),
                        ),
                        (
                            "account balance as of (service)",
                            lambda: statements.account_balance(
                                runtime.ledger, principal, ids[0], date(2024, 6, 30)
                            ),
                        ),
                        (
                            "account balance as of (GraphQL)",
                            lambda: answered(balance_query),
                        ),
                    ]
                    for name, call in rows:
                        print(f"{name:48s} {await timed(call, args.rounds)}")
                await floor.close()
            finally:
                server.terminate()
                server.wait(30)
                await runtime.close()


if __name__ == "__main__":
    asyncio.run(main())
