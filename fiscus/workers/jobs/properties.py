"""Scheduled receivables and property jobs. ``schedule_billing`` (daily cron) enqueues one
``bill_leases`` per organization with leases, with a deterministic job id per organization
and day (arq runs it once; the charges' unique keys make even a second run write nothing);
``snapshot_delinquency`` (daily cron) stores each organization's aging as of the last month
end, once."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from fiscus.services.properties import billing
from fiscus.services.receivables import snapshots
from fiscus.workers.jobs.context import JobContext, runtime_of

SCHEDULE_BILLING_JOB = "schedule_billing"
BILL_LEASES_JOB = "bill_leases"
SNAPSHOT_DELINQUENCY_JOB = "snapshot_delinquency"


def bill_job_id(org_id: UUID | str, through: date) -> str:
    return f"{BILL_LEASES_JOB}:{org_id}:{through.isoformat()}"


async def schedule_billing(ctx: JobContext, through: str | None = None) -> dict[str, Any]:
    runtime = runtime_of(ctx)
    day = date.fromisoformat(through) if through else runtime.ledger.clock().date()
    organizations = await billing.billing_organizations(runtime.ledger)
    for org_id in organizations:
        await runtime.queue.enqueue_job(
            BILL_LEASES_JOB,
            str(org_id),
            day.isoformat(),
            _job_id=bill_job_id(org_id, day),
        )
    return {"through": day.isoformat(), "organizations": len(organizations)}


async def bill_leases(ctx: JobContext, org_id: str, through: str) -> dict[str, Any]:
    runtime = runtime_of(ctx)
    report = await billing.bill_organization(
        runtime.ledger, UUID(org_id), date.fromisoformat(through)
    )
    return {
        "through": through,
        "leases": report.leases,
        "rent_charges": report.rent_charges,
        "late_fees": report.late_fees,
        "allocations": report.allocations,
        "skipped": report.skipped,
    }


async def snapshot_delinquency(ctx: JobContext, as_of: str | None = None) -> dict[str, Any]:
    runtime = runtime_of(ctx)
    day = (
        date.fromisoformat(as_of)
        if as_of
        else snapshots.last_month_end(runtime.ledger.clock().date())
    )
    written = 0
    organizations = await snapshots.receivables_organizations(runtime.ledger)
    for org_id in organizations:
        written += await snapshots.take_snapshot(runtime.ledger, org_id, day)
    return {"as_of": day.isoformat(), "organizations": len(organizations), "rows": written}
