"""Posting throughput with every invariant enforced: balanced two-line entries per second
through the service layer (this process) and through GraphQL on one `fiscus serve`
process, next to a floor measured in the same run: plain asyncpg INSERTs of the same
entries and lines (no locks, no checks beyond the tables' own, no summary, no audit) on as
many connections.

Every posting claims an idempotency key, takes the period lock (shared) and its accounts'
locks (sorted), checks the lines against the chart and the closed period, writes the entry
and its audit event, the lines (the immutability trigger checks them) and the summary rows,
and commits — one statement, `fiscus_ledger_post`, in its own implicit transaction. The
service layer runs twice: writers on distinct accounts (each its own pair: no lock waits)
and writers sharing SHARED accounts (they queue on the accounts' locks); GraphQL and the
floor spread over ACCOUNTS accounts. SQL statements per posting are counted in-process
(service layer, and GraphQL through the ASGI app with its authentication).

    PYTHONPATH=. python bench/ledger_posting.py [--entries 3000] [--writers 16]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
from harness import (  # type: ignore[import-not-found]
    bench_settings,
    free_port,
    scratch,
    start_server,
    wait_ready,
)

from fiscus.app import create_app
from fiscus.config import with_jwt_secret
from fiscus.domain.identity import Principal
from fiscus.persistence.migrate import upgrade
from fiscus.persistence.statements import count_statements
from fiscus.runtime import Runtime
from fiscus.schema.relay import to_global_id
from fiscus.services.identity.auth import sign_up
from fiscus.services.ledger import accounts, batch, posting, queries
from fiscus.services.ledger.posting import LineInput

ACCOUNTS = 100
SHARED = 10
BATCH = 20
POST = """mutation($input: PostJournalEntryInput!) { postJournalEntry(input: $input) {
  __typename ... on JournalEntrySuccess { entry { id } } } }"""


def plan(
    count: int, chart: list[uuid.UUID], seed: int
) -> list[tuple[date, uuid.UUID, uuid.UUID, Decimal]]:
    rng = random.Random(seed)
    return [
        (
            date(2026, 1, 1) + timedelta(days=rng.randrange(365)),
            *rng.sample(chart, 2),
            Decimal(rng.randint(1, 100_000)) / 100,
        )
        for _ in range(count)
    ]


async def run_writers(writers: int, work: list, post_one, *, own=None) -> float:  # type: ignore[no-untyped-def]
    """``own(w, item)`` (optional) rewrites an item for writer ``w`` (its own accounts)."""
    queue = list(enumerate(work))
    started = time.perf_counter()

    async def writer(w: int) -> None:
        while queue:
            i, item = queue.pop()
            await post_one(i, own(w, item) if own else item)

    await asyncio.gather(*(writer(w) for w in range(writers)))
    return len(work) / (time.perf_counter() - started)


def statements_of(log) -> str:  # type: ignore[no-untyped-def]
    return "; ".join(" ".join(s.split())[:60] for s in log.statements)


async def main(entries: int, writers: int) -> None:
    async with scratch("ledger") as (database, prefix):
        data_dir = Path(tempfile.mkdtemp())
        plain = bench_settings(database, prefix, data_dir)
        settings = with_jwt_secret(
            plain.model_copy(
                update={
                    "database": plain.database.model_copy(
                        update={
                            "pool_size": 4,
                            "write_pool_size": writers,
                            "read_pool_size": writers,
                        }
                    )
                }
            )
        )
        await asyncio.to_thread(upgrade, settings)
        runtime = await Runtime.open(settings)
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

            async def service_post(i: int, item, prefix: str = "svc") -> None:  # type: ignore[no-untyped-def]
                day, debit, credit, amount = item
                await posting.post_journal_entry(
                    runtime.ledger,
                    principal,
                    entry_date=day,
                    memo="bench",
                    lines=[LineInput(debit, amount), LineInput(credit, -amount)],
                    idempotency_key=f"{prefix}-{i}",
                )

            await service_post(0, plan(1, chart, 0)[0], "warm")
            with count_statements() as service_log:
                await service_post(1, plan(1, chart, 0)[0], "warm")

            def own(w: int, item):  # type: ignore[no-untyped-def]
                return (item[0], chart[2 * w], chart[2 * w + 1], item[3])

            distinct_rate = await run_writers(
                writers, plan(entries, chart, 1), service_post, own=own
            )
            shared_rate = await run_writers(
                writers,
                plan(entries, chart[:SHARED], 4),
                lambda i, item: service_post(i, item, "shared"),
            )

            # Batches: BATCH entries per call, one transaction (one statement) each.
            async def batch_post(i: int, items) -> None:  # type: ignore[no-untyped-def]
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

            batched = plan(entries, chart, 7)
            chunks = [batched[i : i + BATCH] for i in range(0, len(batched), BATCH)]
            batch_rate = BATCH * await run_writers(writers, chunks, batch_post)

            # The floor: the same rows, plain INSERTs, no checks, same connection count.
            dsn = settings.database.url.get_secret_value().replace("+asyncpg", "")  # type: ignore[union-attr]
            pool = await asyncpg.create_pool(dsn, min_size=writers, max_size=writers)
            org = principal.org_id

            async def floor_post(i: int, item) -> None:  # type: ignore[no-untyped-def]
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

            async with pool.acquire() as c:
                await c.execute(
                    "CREATE TABLE floor_entries (org_id uuid, id uuid, day date,"
                    " memo text, PRIMARY KEY (org_id, id))"
                )
                await c.execute(
                    "CREATE TABLE floor_lines (org_id uuid, entry_id uuid, line_no"
                    " int, account_id uuid, day date, amount numeric(20,4),"
                    " PRIMARY KEY (org_id, entry_id, line_no))"
                )
            floor_rate = await run_writers(writers, plan(entries, chart, 2), floor_post)
            await pool.close()

            # Through GraphQL on one `fiscus serve` process.
            port = free_port()
            server = start_server(settings, port)
            base = f"http://127.0.0.1:{port}"
            try:
                await wait_ready(server, base)
                token = account.access_token
                async with httpx.AsyncClient(
                    base_url=base,
                    timeout=30,
                    limits=httpx.Limits(max_connections=writers),
                    headers={"authorization": f"Bearer {token}"},
                ) as client:

                    async def api_post(i: int, item) -> None:  # type: ignore[no-untyped-def]
                        day, debit, credit, amount = item
                        body = {
                            "query": POST,
                            "variables": {
                                "input": {
                                    "date": day.isoformat(),
                                    "memo": "bench",
                                    "idempotencyKey": f"api-{i}",
                                    "lines": [
                                        {
                                            "accountId": to_global_id("Account", debit),
                                            "amount": str(amount),
                                        },
                                        {
                                            "accountId": to_global_id("Account", credit),
                                            "amount": str(-amount),
                                        },
                                    ],
                                }
                            },
                        }
                        response = (await client.post("/graphql", json=body)).json()
                        kind = response["data"]["postJournalEntry"]["__typename"]
                        assert kind == "JournalEntrySuccess", response

                    api_rate = await run_writers(writers, plan(entries, chart, 3), api_post)
            finally:
                server.terminate()
                server.wait()

            api_statements = await graphql_statements(settings, account.access_token, chart)
            report = await queries.check_integrity(runtime.ledger, principal)
            assert report.sound, report
        finally:
            await runtime.close()
    print(f"entries per run: {entries}, writers: {writers}, accounts: {ACCOUNTS}")
    print(f"floor (plain asyncpg INSERTs, no checks):     {floor_rate:8.0f} entries/s")
    print(
        f"service layer, distinct accounts per writer: {distinct_rate:8.0f} entries/s"
        f"  ({distinct_rate / floor_rate:.2f}x floor)"
    )
    print(
        f"service layer, {SHARED} shared accounts:         {shared_rate:8.0f} entries/s"
        f"  ({shared_rate / floor_rate:.2f}x floor)"
    )
    print(
        f"service layer, batches of {BATCH} per call:        {batch_rate:8.0f} entries/s"
        f"  ({batch_rate / floor_rate:.2f}x floor)"
    )
    print(
        f"GraphQL on one fiscus serve process:         {api_rate:8.0f} entries/s"
        f"  ({api_rate / floor_rate:.2f}x floor)"
    )
    print(
        f"SQL statements per posting, service ({service_log.count}): {statements_of(service_log)}"
    )
    print(
        f"SQL statements per posting, GraphQL ({api_statements.count}, + ROLLBACK of the read"
        f" scope): {statements_of(api_statements)}"
    )
    print("floor: 4 round trips per entry (BEGIN, INSERT entry, 2 lines pipelined, COMMIT)")
    print("integrity after the run: summary = lines, every entry balanced, trial balance 0")


async def graphql_statements(settings, token: str, chart: list[uuid.UUID]):  # type: ignore[no-untyped-def]
    """Statements one postJournalEntry sends, counted in-process through the ASGI app."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as client:
            for n in range(2):
                body = {
                    "query": POST,
                    "variables": {
                        "input": {
                            "date": "2026-06-01",
                            "idempotencyKey": f"count-{n}",
                            "lines": [
                                {"accountId": to_global_id("Account", chart[0]), "amount": "1"},
                                {"accountId": to_global_id("Account", chart[1]), "amount": "-1"},
                            ],
                        }
                    },
                }
                with count_statements() as log:
                    await client.post("/graphql", json=body)
    return log


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=3000)
    parser.add_argument("--writers", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.entries, args.writers))
