"""The daily scan for debt payments coming due."""

from __future__ import annotations

from fiscus.services.debts.due import notify_due_payments
from fiscus.workers.jobs.context import JobContext, runtime_of

NOTIFY_DUE_PAYMENTS_JOB = "notify_due_debt_payments"


async def notify_due_debt_payments(ctx: JobContext) -> int:
    runtime = runtime_of(ctx)
    return await notify_due_payments(runtime.planning, runtime.planning.clock().date())
