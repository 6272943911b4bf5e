"""Aging as of any date on a large sub-ledger: 200 buildings, 5,000 units and tenants, ten
years of monthly rent (600,000 charges) and a payment allocated to each (600,000 payments,
600,000 allocations).

Loading: as the owner, with COPY, the rows the services would have written: counterparties
(their AR / credit accounts), buildings and units, charges (tagged with building and unit),
payments and allocations, and each charge's derived ``settled_from`` (the day its payment
settled it). Every document points at one posted entry: this bench reads the sub-ledger,
not the ledger. Most tenants pay within three days; 8 % of the months are paid 5-40 days
late, 2 % 60-150 days late, and 3 % of the last three months are still open.

Timed (p50/p99 over --rounds) for several as-of days: ``aging`` grouped by counterparty,
by building and in total through the service layer and through GraphQL (a `fiscus serve`
process), next to a floor in the same run: the same open amounts computed the plain way,
every charge issued by the day joined with its allocations made by then (no
``settled_from`` shortcut). Target: aging under 300 ms.

    PYTHONPATH=. python bench/receivables_aging.py [--tenants 5000] [--years 10] [--rounds 20]
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
from fiscus.domain.properties import month_start, next_month
from fiscus.persistence.migrate import upgrade
from fiscus.runtime import Runtime
from fiscus.services.identity.auth import sign_up
from fiscus.services.receivables import reports

BUILDINGS = 200
END = date(2025, 12, 31)
FLOOR = """
    SELECT count(*), sum(open) FROM (
      SELECT c.amount - coalesce(sum(a.amount) FILTER (
               WHERE a.allocated_on <= $2 AND (a.voided_on IS NULL OR a.voided_on > $2)), 0)
             AS open
      FROM charges c LEFT JOIN allocations a ON a.org_id = c.org_id AND a.charge_id = c.id
      WHERE c.org_id = $1 AND c.issued_on <= $2 AND (c.voided_on IS NULL OR c.voided_on > $2)
      GROUP BY c.id, c.amount) o
    WHERE open > 0"""


def tsv(rows: list[tuple[object, ...]]) -> io.BytesIO:
    text = "".join("\t".join("\\N" if v is None else str(v) for v in row) + "\n" for row in rows)
    return io.BytesIO(text.encode())


async def copy(connection: asyncpg.Connection, table: str, columns: list[str], rows) -> None:  # type: ignore[no-untyped-def]
    await connection.copy_to_table(table, source=tsv(rows), columns=columns)


async def load(dsn: str, org_id: uuid.UUID, tenants: int, years: int) -> int:
    rng = random.Random(9)
    now = datetime.now(UTC)
    first_month = month_start(END - timedelta(days=365 * years - 1))
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            ar, credits, income, bank = (uuid.uuid4() for _ in range(4))
            await copy(
                connection,
                "ledger_accounts",
                ["org_id", "id", "code", "name", "type", "currency"],
                [
                    (org_id, ar, "AR-USD", "Accounts receivable", "asset", "USD"),
                    (org_id, credits, "AR-CREDITS-USD", "Customer credits", "liability", "USD"),
                    (org_id, income, "RENT-INCOME-USD", "Rental income", "income", "USD"),
                    (org_id, bank, "1000", "Bank", "asset", "USD"),
                ],
            )
            entry = uuid.uuid4()
            await connection.execute(
                "INSERT INTO journal_entries (org_id, id, entry_date, status, posted_at)"
                " VALUES ($1, $2, $3, 'posted', $4)",
                org_id,
                entry,
                END,
                now,
            )
            buildings = [uuid.uuid4() for _ in range(BUILDINGS)]
            await copy(
                connection,
                "buildings",
                ["org_id", "id", "name", "currency"],
                [(org_id, b, f"Building {n:03d}", "USD") for n, b in enumerate(buildings)],
            )
            units, people, charges, payments, allocations = [], [], [], [], []
            for n in range(tenants):
                unit, person = uuid.uuid4(), uuid.uuid4()
                building = buildings[n % BUILDINGS]
                units.append((org_id, unit, building, f"{n // BUILDINGS + 1:03d}"))
                people.append((org_id, person, "tenant", f"Tenant {n:05d}", "USD", ar, credits))
                rent = f"{rng.randrange(900, 3000)}.00"
                dims = f'{{"building": "{building}", "unit": "{unit}"}}'
                month = first_month
                while month <= END:
                    charge = uuid.uuid4()
                    due = month
                    roll = rng.random()
                    if month >= month_start(END - timedelta(days=80)) and roll < 0.03:
                        paid = None
                    elif roll < 0.02:
                        paid = due + timedelta(days=rng.randrange(60, 150))
                    elif roll < 0.10:
                        paid = due + timedelta(days=rng.randrange(5, 40))
                    else:
                        paid = due + timedelta(days=rng.randrange(0, 3))
                    settled = "infinity" if paid is None else paid
                    charges.append(
                        (
                            org_id,
                            charge,
                            person,
                            "rent",
                            rent,
                            "USD",
                            month,
                            due,
                            dims,
                            income,
                            entry,
                            settled,
                        )
                    )
                    if paid is not None:
                        payment = uuid.uuid4()
                        payments.append(
                            (
                                org_id,
                                payment,
                                person,
                                rent,
                                "USD",
                                paid,
                                "bank_transfer",
                                bank,
                                entry,
                                "true",
                            )
                        )
                        allocations.append(
                            (org_id, uuid.uuid4(), payment, charge, person, rent, paid, entry)
                        )
                    month = next_month(month)
            await copy(connection, "units", ["org_id", "id", "building_id", "number"], units)
            await copy(
                connection,
                "counterparties",
                [
                    "org_id",
                    "id",
                    "kind",
                    "name",
                    "currency",
                    "control_account_id",
                    "credit_account_id",
                ],
                people,
            )
            await copy(
                connection,
                "charges",
                [
                    "org_id",
                    "id",
                    "counterparty_id",
                    "kind",
                    "amount",
                    "currency",
                    "issued_on",
                    "due_on",
                    "dimensions",
                    "account_id",
                    "entry_id",
                    "settled_from",
                ],
                charges,
            )
            await copy(
                connection,
                "payments",
                [
                    "org_id",
                    "id",
                    "counterparty_id",
                    "amount",
                    "currency",
                    "received_on",
                    "method",
                    "account_id",
                    "entry_id",
                    "fully_allocated",
                ],
                payments,
            )
            await copy(
                connection,
                "allocations",
                [
                    "org_id",
                    "id",
                    "payment_id",
                    "charge_id",
                    "counterparty_id",
                    "amount",
                    "allocated_on",
                    "entry_id",
                ],
                allocations,
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return len(charges)


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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=5000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    async with scratch("receivables_aging") as (database, prefix):
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
                loaded = await load(dsn, principal.org_id, args.tenants, args.years)
                print(
                    f"loaded {loaded:,} charges ({args.tenants:,} tenants x {args.years} years, "
                    f"{BUILDINGS} buildings) with their payments and allocations in "
                    f"{time.perf_counter() - started:.1f} s"
                )
                await wait_ready(server, f"http://127.0.0.1:{port}")
                floor = await asyncpg.connect(dsn)
                days = [
                    END - timedelta(days=365 * (args.years - 1)),
                    END - timedelta(days=365 * args.years // 2),
                    END,
                ]
                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}",
                    headers={"authorization": f"Bearer {account.access_token}"},
                    timeout=60,
                ) as client:

                    async def answered(query: str) -> None:
                        reply = (await client.post("/graphql", json={"query": query})).json()
                        if reply.get("errors") or not reply.get("data"):
                            raise RuntimeError(f"GraphQL failed: {reply}")

                    for day in days:
                        found = await reports.aging(runtime.ledger, principal, day, "total")
                        total = found.totals.get("USD")
                        floor_total = await floor.fetchrow(FLOOR, principal.org_id, day)
                        assert (total.total if total else 0) == (floor_total[1] or 0), day
                        print(
                            f"as of {day}: {total.charges if total else 0:,} open charges, "
                            f"{total.total if total else 0:,} open (the floor agrees)"
                        )
                        rows: list[tuple[str, Callable[[], Awaitable[object]]]] = [
                            (
                                "floor: charges x allocations, no shortcut",
                                lambda d=day: floor.fetchrow(FLOOR, principal.org_id, d),
                            ),
                        ]
                        for group in ("counterparty", "building", "total"):
                            rows.append(
                                (
                                    f"aging by {group} (service)",
                                    lambda d=day, g=group: reports.aging(
                                        runtime.ledger, principal, d, g
                                    ),
                                )
                            )
                        for group in ("COUNTERPARTY", "BUILDING"):
                            query = (
                                f'{{ aging(asOf: "{day}", groupBy: {group}) '
                                "{ rows { key label buckets { total } } totals { total } } }"
                            )
                            rows.append(
                                (f"aging by {group.lower()} (GraphQL)", lambda q=query: answered(q))
                            )
                        for name, call in rows:
                            print(f"  {name:44s} {await timed(call, args.rounds)}")
                await floor.close()
            finally:
                server.terminate()
                server.wait(30)
                await runtime.close()


if __name__ == "__main__":
    asyncio.run(main())
