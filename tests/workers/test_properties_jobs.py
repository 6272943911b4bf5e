"""The recurring charges job against real PostgreSQL and a real arq worker: run twice,
late, and concurrently (two jobs on one worker, two invocations at once), every rent and
fee exists once; the delinquency snapshot is stored once per month end."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from decimal import Decimal

from fiscus.domain.properties import LateFeeKind, LateFeeRule
from fiscus.runtime import Runtime
from fiscus.services.properties import billing
from fiscus.services.receivables import queries, reports
from fiscus.workers.jobs import properties as jobs
from fiscus.workers.settings import run_worker
from tests.services.properties_fixtures import building, lease
from tests.services.receivables_fixtures import assert_sound, books, tenant
from tests.workers.conftest import SettingsFactory

LEASES = 12


async def portfolio(runtime: Runtime):
    b = await books(runtime)
    _, units = await building(runtime, b.principal, units=[f"{n}" for n in range(LEASES)])
    for i, unit in enumerate(units):
        t = await tenant(runtime, b.principal, f"Tenant {i:02d}")
        await lease(
            runtime,
            b.principal,
            unit.id,
            [t.id],
            starts=date(2026, 1, 1),
            rent="1000",
            late_fee=LateFeeRule(LateFeeKind.FIXED, Decimal(25)),
        )
    return b


async def rent_and_fees(runtime: Runtime, principal) -> tuple[int, int]:
    found = await queries.charges_page(
        runtime.ledger, principal, queries.ChargeFilters(), limit=10_000
    )
    return (
        sum(1 for c in found if c.kind.value == "rent"),
        sum(1 for c in found if c.kind.value == "late_fee"),
    )


async def test_two_concurrent_runs_write_each_charge_once(runtime: Runtime) -> None:
    b = await portfolio(runtime)
    first, second = await asyncio.gather(
        billing.bill_organization(runtime.ledger, b.principal.org_id, date(2026, 3, 10)),
        billing.bill_organization(runtime.ledger, b.principal.org_id, date(2026, 3, 10)),
    )
    # Three months of rent and, nobody having paid, one late fee per month's rent.
    assert first.rent_charges + second.rent_charges == 3 * LEASES
    assert first.late_fees + second.late_fees == 3 * LEASES
    assert await rent_and_fees(runtime, b.principal) == (3 * LEASES, 3 * LEASES)
    again = await billing.bill_organization(runtime.ledger, b.principal.org_id, date(2026, 3, 10))
    assert (again.rent_charges, again.late_fees) == (0, 0)
    await assert_sound(runtime, b.principal)


async def test_the_job_on_a_real_worker_twice_and_late(
    runtime: Runtime, settings_with: SettingsFactory
) -> None:
    b = await portfolio(runtime)
    org = str(b.principal.org_id)
    # Two jobs for the same day under different ids: the worker runs both, concurrently.
    for suffix in ("a", "b"):
        job = await runtime.queue.enqueue_job(
            jobs.BILL_LEASES_JOB, org, "2026-02-01", _job_id=f"bill:{org}:{suffix}"
        )
        assert job is not None
    await run_worker(settings_with(worker={"max_jobs": 4}), burst=True)
    assert await rent_and_fees(runtime, b.principal) == (2 * LEASES, LEASES)
    # The daily cron's job, run late (Apr 2): it enqueues one billing job per organization.
    scheduled = await runtime.queue.enqueue_job(
        jobs.SCHEDULE_BILLING_JOB, "2026-04-02", _job_id=f"schedule:{uuid.uuid4()}"
    )
    assert scheduled is not None
    await run_worker(settings_with(), burst=True)
    assert await rent_and_fees(runtime, b.principal) == (4 * LEASES, 3 * LEASES)
    await assert_sound(runtime, b.principal)


async def test_the_delinquency_snapshot_is_stored_once_per_month_end(runtime: Runtime) -> None:
    b = await portfolio(runtime)
    await billing.bill_organization(runtime.ledger, b.principal.org_id, date(2026, 2, 1))
    stored = await jobs.snapshot_delinquency({"runtime": runtime}, "2026-01-31")
    assert stored["rows"] == LEASES
    again = await jobs.snapshot_delinquency({"runtime": runtime}, "2026-01-31")
    assert again["rows"] == 0
    trend = await reports_trend(runtime, b.principal)
    assert [(p.as_of, p.figures.total, p.counterparties) for p in trend] == [
        (date(2026, 1, 31), Decimal(1025 * LEASES), LEASES)
    ]
    aging = await reports.aging(runtime.ledger, b.principal, date(2026, 1, 31), "total")
    assert aging.totals["USD"].total == trend[0].figures.total


async def reports_trend(runtime: Runtime, principal):
    from fiscus.services.receivables import snapshots

    return await snapshots.delinquency_trend(
        runtime.ledger, principal, date(2026, 1, 1), date(2026, 12, 31)
    )
