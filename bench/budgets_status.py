"""Budget status on a large ledger: 1,000,000 lines / 500 accounts / 5 years (the loader of
bench/ledger_statements.py), 12 budgets started four years back (so every status runs its
rollover over 48 months of actuals), one of them over a 20-account subtree.

Timed (p50/p99 over --rounds; wall, process CPU, SQL statements): the status of all 12
budgets for the current month (the month rows for 5 years of rollovers + the month's days
through today) through the service layer and through GraphQL (`budgets { status }` on a
`fiscus serve` process), next to, in the same run, the spending statement alone on asyncpg
(the floor) and the same sums taken from the journal lines (what reading the summaries
avoids). Target: under 200 ms.

    PYTHONPATH=. python bench/budgets_status.py [--lines 1000000] [--accounts 500] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory

import asyncpg
import httpx
from sqlalchemy import make_url

from bench.harness import bench_settings, free_port, scratch, start_server, wait_ready
from bench.ledger_statements import END, START, TYPES, load
from fiscus.domain.budgets import Rollover
from fiscus.persistence.migrate import upgrade
from fiscus.persistence.reads.budgets import _SPENDING
from fiscus.persistence.statements import count_statements
from fiscus.runtime import Runtime
from fiscus.services.budgets import manage, status
from fiscus.services.identity.auth import sign_up

TODAY = date(END.year, END.month, 20)
MONTH = TODAY.replace(day=1)


async def timed(call: Callable[[], Awaitable[object]], rounds: int) -> str:
    await call()
    walls, cpu = [], []
    for _ in range(rounds):
        wall, process = time.perf_counter(), time.process_time()
        await call()
        walls.append((time.perf_counter() - wall) * 1000)
        cpu.append((time.process_time() - process) * 1000)
    walls.sort()
    p99 = walls[min(len(walls) - 1, int(len(walls) * 0.99))]
    p50 = statistics.median(walls)
    return (
        f"p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   {1000 / p50:7.1f} req/s   "
        f"CPU {statistics.median(cpu):6.2f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    async with scratch("budgets_status") as (database, prefix):
        with TemporaryDirectory() as data_dir:
            settings = bench_settings(database, prefix, Path(data_dir))
            await asyncio.to_thread(upgrade, settings)
            runtime = await Runtime.open(settings)
            # The service's "today" is in the loaded books (the server's is the real one:
            # GraphQL asks for the month explicitly).
            dated = dataclasses.replace(
                runtime.planning,
                clock=lambda: datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC),
            )
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
                    f"loaded {args.lines:,} lines / {args.accounts} accounts in "
                    f"{time.perf_counter() - started:.1f} s"
                )
                expense = [a for n, a in enumerate(ids) if TYPES[n % len(TYPES)] == "expense"]
                owner = await asyncpg.connect(dsn)
                try:
                    # A subtree: 20 expense accounts under the first one.
                    await owner.execute(
                        "UPDATE ledger_accounts SET parent_id = $1 WHERE id = ANY($2::uuid[])",
                        expense[0],
                        expense[1:21],
                    )
                finally:
                    await owner.close()
                start_month = date(START.year + 1, 1, 1)
                budget_ids = []
                for n, account_id in enumerate([expense[0], *expense[21:32]]):
                    created = await manage.create_budget(
                        runtime.planning,
                        principal,
                        name=f"Budget {n}",
                        account_id=account_id,
                        include_subtree=True,
                        amount=Decimal(5_000 + 1_000 * n),
                        rollover=list(Rollover)[n % 3],
                        alert_threshold_percent=Decimal(80),
                        start_month=start_month,
                    )
                    budget_ids.append(created.id)
                print(
                    f"12 budgets from {start_month} (one over a 20-account subtree); "
                    f"status of {MONTH:%Y-%m} with today {TODAY}"
                )

                async def service() -> None:
                    await status.statuses(dated, principal, budget_ids, MONTH)

                with count_statements() as log:
                    await service()
                floor = await asyncpg.connect(dsn)
                await floor.execute(f"SET app.org_id = '{principal.org_id}'")

                async def spending_only() -> None:
                    await floor.fetch(
                        _SPENDING.sql,
                        *_SPENDING.arguments(
                            {
                                "org_id": principal.org_id,
                                "ids": budget_ids,
                                "from_month": start_month,
                                "to_month": MONTH,
                                "current_month": MONTH,
                                "today": TODAY,
                            }
                        ),
                    )

                async def from_lines() -> None:
                    await floor.fetch(
                        """
                        WITH RECURSIVE tree(budget_id, account_id, deep) AS (
                          SELECT id, account_id, include_subtree FROM budgets
                          WHERE org_id = $1 AND id = ANY($2::uuid[])
                          UNION
                          SELECT t.budget_id, a.id, t.deep FROM tree t
                          JOIN ledger_accounts a ON a.org_id = $1 AND a.parent_id = t.account_id
                          WHERE t.deep)
                        SELECT t.budget_id, date_trunc('month', l.entry_date), sum(l.amount)
                        FROM tree t JOIN journal_lines l
                          ON l.org_id = $1 AND l.account_id = t.account_id
                        WHERE l.entry_date >= $3 AND l.entry_date <= $4
                        GROUP BY 1, 2""",
                        principal.org_id,
                        budget_ids,
                        start_month,
                        TODAY,
                    )

                await wait_ready(server, f"http://127.0.0.1:{port}")
                query = (
                    '{ budgets(first: 20) { edges { node { name status(month: "'
                    f'{MONTH}") {{ available spent percentUsed thresholdCrossed '
                    "yearToDateSpent } } } } }"
                )
                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}",
                    headers={"authorization": f"Bearer {account.access_token}"},
                    timeout=60,
                ) as client:

                    async def graphql() -> None:
                        reply = (await client.post("/graphql", json={"query": query})).json()
                        if reply.get("errors") or not reply.get("data"):
                            raise RuntimeError(f"GraphQL failed: {reply}")

                    rows = [
                        ("floor: the spending statement alone", spending_only),
                        ("peer: the same sums from journal_lines", from_lines),
                        (f"12 budget statuses (service, {log.count} SQL)", service),
                        ("budgets { status } (GraphQL)", graphql),
                    ]
                    for name, call in rows:
                        print(f"{name:46s} {await timed(call, args.rounds)}")
                await floor.close()
            finally:
                server.terminate()
                server.wait(30)
                await runtime.close()


if __name__ == "__main__":
    asyncio.run(main())
