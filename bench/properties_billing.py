"""The monthly billing job for a large portfolio: 200 buildings, 5,000 units and leases
(one tenant each, a late-fee rule each), ten years of paid rent behind them, every lease
billed through the previous month, 10 % of the tenants holding an unallocated prepayment.

Loading: as the owner, with COPY (buildings, units, tenants, leases, ten years of settled
rent charges keyed like the job's, the prepayments). Then, in this process (as the worker
would), ``bill_organization`` through the 1st of the next month: 5,000 rent charges with
their entries posted through ``fiscus_ledger_post``, the prepayments applied, the audit and
activity events, in chunks of 500 leases; then the same run again (writes nothing). A
`fiscus serve` process answers ``/health``, polled every 20 ms by another process during the
run, next to the same polling idle. Floor, same run, same database: the same 5,000 charges
written by one INSERT ... SELECT (no entries, no locks, no credit, no events).
Target: the billing run under 30 s, the API unaffected.

    PYTHONPATH=. python bench/properties_billing.py [--leases 5000] [--years 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import asyncpg
from sqlalchemy import make_url

from bench.harness import bench_settings, free_port, scratch, start_server, wait_ready
from bench.price_refresh import poll_health, summary
from bench.receivables_aging import copy
from fiscus.domain.properties import next_month
from fiscus.persistence.migrate import upgrade
from fiscus.persistence.statements import count_statements
from fiscus.runtime import Runtime
from fiscus.services.identity.auth import sign_up
from fiscus.services.properties import billing
from fiscus.services.receivables import queries

BUILDINGS = 200
RUN_ON = date(2026, 1, 1)
FLOOR = """
    INSERT INTO charges (org_id, id, counterparty_id, kind, amount, currency, issued_on,
                         due_on, dimensions, account_id, lease_id, source_key, entry_id)
    SELECT l.org_id, gen_random_uuid(), p.counterparty_id, 'rent', l.monthly_rent,
           l.currency, $2, $2, '{}'::jsonb, $3, l.id,
           'floor:' || l.id || ':' || p.counterparty_id, $4
    FROM leases l JOIN lease_parties p ON p.org_id = l.org_id AND p.lease_id = l.id
    WHERE l.org_id = $1"""


async def load(dsn: str, org_id: uuid.UUID, leases: int, years: int) -> tuple[uuid.UUID, uuid.UUID]:
    rng = random.Random(11)
    now = datetime.now(UTC)
    first_month = date(RUN_ON.year - years, RUN_ON.month, 1)
    billed_through = RUN_ON - timedelta(days=1)
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
                billed_through,
                now,
            )
            buildings = [uuid.uuid4() for _ in range(BUILDINGS)]
            await copy(
                connection,
                "buildings",
                ["org_id", "id", "name", "currency"],
                [(org_id, b, f"Building {n:03d}", "USD") for n, b in enumerate(buildings)],
            )
            units, people, rows, parties, charges, payments = [], [], [], [], [], []
            for n in range(leases):
                unit, person, lease = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
                building = buildings[n % BUILDINGS]
                units.append((org_id, unit, building, f"{n // BUILDINGS + 1:03d}"))
                people.append((org_id, person, "tenant", f"Tenant {n:05d}", "USD", ar, credits))
                rent = f"{rng.randrange(900, 3000)}.00"
                rows.append(
                    (
                        org_id,
                        lease,
                        unit,
                        first_month,
                        rent,
                        "USD",
                        1,
                        5,
                        "fixed",
                        "50.00",
                        "once",
                        billed_through,
                    )
                )
                parties.append((org_id, lease, person, "1.0000", 0))
                dims = json.dumps({"building": str(building), "unit": str(unit)})
                month = first_month
                while month < RUN_ON:
                    charges.append(
                        (
                            org_id,
                            uuid.uuid4(),
                            person,
                            "rent",
                            rent,
                            "USD",
                            month,
                            month,
                            dims,
                            income,
                            lease,
                            f"rent:{lease}:{month:%Y-%m}:{person}",
                            entry,
                            month + timedelta(days=rng.randrange(0, 4)),
                        )
                    )
                    month = next_month(month)
                if n % 10 == 0:
                    payments.append(
                        (
                            org_id,
                            uuid.uuid4(),
                            person,
                            "500.00",
                            "USD",
                            billed_through,
                            "bank_transfer",
                            bank,
                            entry,
                            "false",
                        )
                    )
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
                "leases",
                [
                    "org_id",
                    "id",
                    "unit_id",
                    "starts_on",
                    "monthly_rent",
                    "currency",
                    "due_day",
                    "grace_days",
                    "late_fee_kind",
                    "late_fee_amount",
                    "late_fee_mode",
                    "billed_through",
                ],
                rows,
            )
            await copy(
                connection,
                "lease_parties",
                ["org_id", "lease_id", "counterparty_id", "share", "position"],
                parties,
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
                    "lease_id",
                    "source_key",
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
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return income, entry


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leases", type=int, default=5000)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    async with scratch("properties_billing") as (database, prefix):
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
                income, entry = await load(dsn, principal.org_id, args.leases, args.years)
                print(
                    f"loaded {args.leases:,} leases over {BUILDINGS} buildings with "
                    f"{args.years} years of paid rent in {time.perf_counter() - started:.1f} s"
                )
                await wait_ready(server, f"http://127.0.0.1:{port}")
                health = f"http://127.0.0.1:{port}/health"
                idle = poll_health(health, 3.0)
                idle_out, _ = await asyncio.to_thread(idle.communicate, None, 60)
                busy = poll_health(health, 600.0)
                with count_statements() as log:
                    started = time.perf_counter()
                    report = await billing.bill_organization(
                        runtime.ledger, principal.org_id, RUN_ON
                    )
                    elapsed = time.perf_counter() - started
                busy.terminate()
                busy_out, _ = await asyncio.to_thread(busy.communicate, None, 60)
                started = time.perf_counter()
                again = await billing.bill_organization(runtime.ledger, principal.org_id, RUN_ON)
                rerun = time.perf_counter() - started
                report_check = await queries.check_integrity(runtime.ledger, principal)
                floor = await asyncpg.connect(dsn)
                try:
                    started = time.perf_counter()
                    async with floor.transaction():
                        await floor.execute(FLOOR, principal.org_id, RUN_ON, income, entry)
                        floor_time = time.perf_counter() - started
                        raise _Rollback
                except _Rollback:
                    pass
                finally:
                    await floor.close()
            finally:
                server.terminate()
                server.wait(30)
                await runtime.close()
    print(
        f"billing run through {RUN_ON}: {elapsed:.1f} s (target: under 30 s) for "
        f"{report.leases:,} leases: {report.rent_charges:,} rent charges, "
        f"{report.late_fees} late fees, {report.allocations:,} credits applied; "
        f"{log.count:,} SQL statements ({log.count / max(report.rent_charges, 1):.3f} per charge)"
    )
    print(
        f"  same run again:   {rerun:.1f} s, {again.rent_charges} charges written, "
        f"{again.skipped} keys found taken"
    )
    print(f"  floor (one INSERT ... SELECT of the charges, no entries): {floor_time:.2f} s")
    print(f"  sub-ledger integrity after the runs: {'sound' if report_check.sound else 'BROKEN'}")
    print(f"  /health, idle     {summary(json.loads(idle_out))}")
    print(f"  /health, billing  {summary(json.loads(busy_out) if busy_out.strip() else [])}")


class _Rollback(Exception):
    pass


if __name__ == "__main__":
    asyncio.run(main())
