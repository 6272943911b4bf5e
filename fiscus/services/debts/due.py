"""``DebtPaymentDue``: once a day, for every organization with active debts, each debt whose
next payment day falls within ``DUE_NOTICE_DAYS`` gets one event per due date (claimed by a
row in ``debt_due_notices``, so re-runs and concurrent workers emit it once), audit-logged
and published on the organization's activity channel after commit."""

from __future__ import annotations

from datetime import date, timedelta

from fiscus.domain.debts import DebtPaymentDue, projection, replay
from fiscus.services.identity import audit
from fiscus.services.planning import PlanningContext

DUE_NOTICE_DAYS = 3


async def notify_due_payments(
    ctx: PlanningContext, today: date, within_days: int = DUE_NOTICE_DAYS
) -> int:
    """Answers how many events went out."""
    async with ctx.unit() as uow:
        organizations = await uow.debts.organizations_with_active_debts()
    sent = 0
    horizon = today + timedelta(days=within_days)
    for org_id in organizations:
        async with ctx.unit(org_id=org_id) as uow:
            for row in await uow.debts.active():
                debt = row.to_domain(await uow.debts.rate_changes(row.id))
                state = replay(debt, await uow.debts.payments(debt.id), today)
                if state.paid_off:
                    continue
                due = state.start.next_due
                if due > horizon or not await uow.debts.claim_due_notice(debt.id, due):
                    continue
                upcoming = projection(debt, state)
                amount = (
                    upcoming.rows[0].payment + upcoming.rows[0].extra if upcoming.rows else None
                )
                event = DebtPaymentDue(debt.id, due, amount)
                await audit.record(
                    uow,
                    org_id=org_id,
                    actor_user_id=None,
                    action=event.action,
                    subject_type="debt",
                    subject_id=debt.id,
                    at=ctx.clock(),
                    details={
                        "name": debt.name,
                        "due_date": due.isoformat(),
                        "amount": None if amount is None else str(amount),
                        "currency": debt.currency,
                    },
                )
                sent += 1
            await uow.commit()
    return sent
