"""Posting throughput with every invariant enforced: balanced two-line entries per second
through the service layer (this process) and through GraphQL on one `fiscus serve` process,
next to a floor measured in the same run: plain asyncpg INSERTs of the same entries and lines
(no locks, no checks beyond the tables' own, no summary, no audit, no events) on as many
connections.

Every posting has its own idempotency key, takes the period lock (shared) and its accounts'
locks (sorted), is checked against the chart and the closed period, writes its entry, audit
event, lines (the insert trigger checks them) and both summaries, commits with
synchronous_commit on, and publishes its two events to Redis after the commit. Concurrent
single postings of one organization and user share one call of `fiscus_ledger_post` (group
posting, `fiscus/services/ledger/groups.py`): one statement, one commit and one publish per
group. Phases:

- floor: plain INSERTs (BEGIN, entry, two lines pipelined, COMMIT), WRITERS connections;
- service layer, WRITERS concurrent callers of `post_journal_entry`: on distinct accounts
  (each its own pair), then on SHARED accounts (they queue on the accounts' locks), then
  batches of BATCH entries per `post_journal_entries` call (all or nothing each);
- GraphQL: `postJournalEntry` on one `fiscus serve` process, --connections keep-alive
  connections driven by wrk (a Lua script gives every request its own idempotency key and
  random accounts, amount and date; `apt-get install wrk`), else by an httpx loop. Entries/s
  counts the entries the database holds afterwards.

Per phase: entries/s, p50/p99 latency per call, and CPU milliseconds per entry of PostgreSQL
(the database's backends, read from /proc) and of the Python process doing the work (this
one for the service layer, the server for GraphQL). The books start with WARM entries and
ANALYZE (autovacuum's statistics on a live ledger), and are checked after the run (summaries
= lines, every entry balanced, trial balance zero). The machine's other load competes for the
same cores: compare the ratios to the floor of the same run.

    PYTHONPATH=. python bench/ledger_posting.py [--entries 3000] [--writers 16]
        [--connections 32] [--duration 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import psutil
from harness import (  # type: ignore[import-not-found]
    bench_settings,
    free_port,
    scratch,
    start_server,
    wait_ready,
)
from posting_load import (  # type: ignore[import-not-found]
    Backends,
    Phase,
    body_of,
    httpx_load,
    measured,
    run_writers,
    wrk_load,
)

from fiscus.app import create_app
from fiscus.config import Settings, with_jwt_secret
from fiscus.domain.identity import Principal
from fiscus.persistence.migrate import upgrade
from fiscus.persistence.statements import StatementLog, count_statements
from fiscus.runtime import Runtime
from fiscus.schema.relay import to_global_id
from fiscus.services.identity.auth import sign_up
from fiscus.services.ledger import accounts, batch, posting, queries
from fiscus.services.ledger.posting import LineInput

ACCOUNTS = 100
SHARED = 10
BATCH = 20
WARM = 300
PGLEDGER = "pgledger's published ~10,000 transfers/s (not measured here)"
Item = tuple[date, uuid.UUID, uuid.UUID, Decimal]


def plan(count: int, chart: list[uuid.UUID], seed: int) -> list[Item]:
    rng = random.Random(seed)
    return [
        (
            date(2026, 1, 1) + timedelta(days=rng.randrange(365)),
            *rng.sample(chart, 2),
            Decimal(rng.randint(1, 100_000)) / 100,
        )
        for _ in range(count)
    ]


async def main(args: argparse.Namespace) -> None:
    writers = args.writers
    async with scratch("ledger") as (database, prefix):
        plain = bench_settings(database, prefix, Path(tempfile.mkdtemp()))
        pools = {"pool_size": 4, "write_pool_size": writers, "read_pool_size": writers}
        settings = with_jwt_secret(
            plain.model_copy(update={"database": plain.database.model_copy(update=pools)})
        )
        await asyncio.to_thread(upgrade, settings)
        dsn = settings.database.url.get_secret_value().replace("+asyncpg", "")  # type: ignore[union-attr]
        backends = Backends(dsn, database)
        me = psutil.Process()
        runtime = await Runtime.open(settings)
        phases: list[Phase] = []
        try:
            account = await sign_up(
                runtime.identity,
                email="bench@example.com",
                password="correct horse battery staple",
                display_name="Bench",
                organization_name="Bench",
            )
            principal = Principal(
                account.user.id,
                account.organization.id,
                account.role,
                uuid.uuid4(),
                datetime.now(UTC) + timedelta(hours=1),
            )
            chart = [
                (
                    await accounts.create_account(
                        runtime.ledger,
                        principal,
                        code=f"{1000 + i}",
                        name=f"Account {i}",
                        type="asset",
                        currency="EUR",
                    )
                ).id
                for i in range(ACCOUNTS)
            ]
            owner = await asyncpg.connect(dsn)

            async def entries_of() -> int:
                return int(await owner.fetchval("SELECT count(*) FROM journal_entries"))

            async def service_post(i: int, item: Item, prefix: str = "svc") -> None:
                day, debit, credit, amount = item
                await posting.post_journal_entry(
                    runtime.ledger,
                    principal,
                    entry_date=day,
                    memo="bench",
                    lines=[LineInput(debit, amount), LineInput(credit, -amount)],
                    idempotency_key=f"{prefix}-{i}",
                )

            for i, item in enumerate(plan(WARM, chart, 0)):
                await service_post(i, item, "warm")
            await owner.execute("ANALYZE")
            with count_statements() as service_log:
                await service_post(0, plan(1, chart, 9)[0], "count")

            # The floor: the same rows, plain INSERTs, no checks, same connection count.
            await owner.execute(
                "CREATE TABLE floor_entries (org_id uuid, id uuid, day date, memo text,"
                " PRIMARY KEY (org_id, id));"
                "CREATE TABLE floor_lines (org_id uuid, entry_id uuid, line_no int,"
                " account_id uuid, day date, amount numeric(20,4),"
                " PRIMARY KEY (org_id, entry_id, line_no))"
            )
            pool = await asyncpg.create_pool(dsn, min_size=writers, max_size=writers)
            org = principal.org_id

            async def floor_post(_: int, item: Item) -> None:
                day, debit, credit, amount = item
                entry = uuid.uuid4()
                async with pool.acquire() as c, c.transaction():
                    await c.execute(
                        "INSERT INTO floor_entries VALUES ($1, $2, $3, 'bench')", org, entry, day
                    )
                    await c.executemany(
                        "INSERT INTO floor_lines VALUES ($1, $2, $3, $4, $5, $6)",
                        [
                            (org, entry, 0, debit, day, amount),
                            (org, entry, 1, credit, day, -amount),
                        ],
                    )

            async def floor_rows() -> int:
                return int(await owner.fetchval("SELECT count(*) FROM floor_entries"))

            phases.append(
                await measured(
                    "floor: plain INSERTs, no checks",
                    backends,
                    me,
                    floor_rows,
                    run_writers(writers, plan(args.entries, chart, 2), floor_post),
                )
            )
            await pool.close()

            def own(i: int, item: Item) -> Item:  # concurrent postings on distinct pairs
                pair = 2 * (i % writers)
                return (item[0], chart[pair], chart[pair + 1], item[3])

            phases.append(
                await measured(
                    "service, distinct account pairs",
                    backends,
                    me,
                    entries_of,
                    run_writers(
                        writers,
                        plan(args.entries, chart, 1),
                        lambda i, item: service_post(i, own(i, item)),
                    ),
                )
            )
            phases.append(
                await measured(
                    f"service, {SHARED} shared accounts",
                    backends,
                    me,
                    entries_of,
                    run_writers(
                        writers,
                        plan(args.entries, chart[:SHARED], 4),
                        lambda i, item: service_post(i, item, "shared"),
                    ),
                )
            )

            async def batch_post(i: int, items: list[Item]) -> None:
                await batch.post_journal_entries(
                    runtime.ledger,
                    principal,
                    [
                        batch.NewEntry(
                            entry_date=day,
                            memo="bench",
                            lines=[LineInput(debit, amount), LineInput(credit, -amount)],
                            idempotency_key=f"batch-{i}-{n}",
                        )
                        for n, (day, debit, credit, amount) in enumerate(items)
                    ],
                )

            batched = plan(args.entries, chart, 7)
            chunks = [batched[i : i + BATCH] for i in range(0, len(batched), BATCH)]
            phases.append(
                await measured(
                    f"service, batches of {BATCH} per call",
                    backends,
                    me,
                    entries_of,
                    run_writers(writers, chunks, batch_post),
                    "  (latency per batch)",
                )
            )

            # Through GraphQL on one `fiscus serve` process.
            port = free_port()
            server = start_server(settings, port)
            base = f"http://127.0.0.1:{port}"
            try:
                await wait_ready(server, base)
                ids = [to_global_id("Account", a) for a in chart]
                token = account.access_token
                await httpx_load(base, token, ids, 50, 4, [])  # warm the server's pools
                tool = "wrk" if shutil.which("wrk") and not args.httpx else "httpx"

                async def through_graphql(latencies: list[float]) -> tuple[float, float] | None:
                    if tool == "wrk":
                        return await wrk_load(base, token, ids, args.connections, args.duration)
                    await httpx_load(base, token, ids, args.entries, args.connections, latencies)
                    return None

                phases.append(
                    await measured(
                        f"GraphQL, one fiscus serve, {args.connections} conns ({tool})",
                        backends,
                        psutil.Process(server.pid),
                        entries_of,
                        through_graphql,
                        "  (server process)",
                    )
                )
            finally:
                server.terminate()
                server.wait()
            await owner.close()

            api_statements = await graphql_statements(settings, account.access_token, chart)
            report = await queries.check_integrity(runtime.ledger, principal)
            assert report.sound, report
        finally:
            await runtime.close()
    floor = phases[0].rate
    print(
        f"entries per service phase: {args.entries}, writers: {writers}, accounts: {ACCOUNTS},"
        f" books warmed with {WARM} entries + ANALYZE; load average {os.getloadavg()[0]:.1f},"
        f" cpus {os.cpu_count()}"
    )
    print(
        f"  {'':44} {'entr/s':>7} {'floor':>6} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'PG ms':>6} {'Py ms':>7}   (CPU ms per entry)"
    )
    for phase in phases:
        print(phase.line(0 if phase is phases[0] else floor))
    print(f"  {PGLEDGER}")
    print(
        f"SQL statements per posting, service ({service_log.count}): {statements_of(service_log)}"
    )
    print(
        f"SQL statements per posting, GraphQL ({api_statements.count}; the caller's session"
        f" is confirmed inside it): {statements_of(api_statements)}"
    )
    print("floor: 4 round trips per entry (BEGIN, INSERT entry, 2 lines pipelined, COMMIT)")
    print("integrity after the run: summary = lines, every entry balanced, trial balance 0")


def statements_of(log: StatementLog) -> str:
    return "; ".join(" ".join(s.split())[:60] for s in log.statements)


async def graphql_statements(
    settings: Settings, token: str, chart: list[uuid.UUID]
) -> StatementLog:
    """Statements one postJournalEntry sends, counted in-process through the ASGI app."""
    app = create_app(settings)
    log = StatementLog()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as client:
            ids = [to_global_id("Account", a) for a in chart]
            for n in range(2):
                body = body_of(f"count-{n}", ids, random.Random(n))
                with count_statements() as log:
                    await client.post("/graphql", json=body)
    return log


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=3000)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=15, help="GraphQL phase, seconds")
    parser.add_argument("--httpx", action="store_true", help="load GraphQL with httpx, not wrk")
    asyncio.run(main(parser.parse_args()))
