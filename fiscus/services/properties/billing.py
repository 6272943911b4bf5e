"""The recurring charges of one organization through a day: every lease's rent for every
month begun and not billed yet, then the late fees owed by then.

Exactly once, whatever runs it (the daily job, twice, late, or on two workers at the same
time): a charge's ``source_key`` (``rent:<lease>:<YYYY-MM>:<tenant>``, ``late:<charge>``,
``late:<charge>:<day>``) is unique per organization and charges are inserted with ``ON
CONFLICT DO NOTHING``; only the charges that insert post their entries. Two runs lock the
same tenants in the same order (the first waits for the second to commit, then finds its
keys taken). ``leases.billed_through`` only says where to start looking.

Leases are billed in chunks (one transaction each, ``CHUNK`` leases), so a large portfolio
never holds its tenants' locks for long; a run that stops half-way is simply completed by
the next one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from fiscus.domain.properties import late_fees, month_end, rent_lines
from fiscus.domain.receivables import Allocation, Charge, ChargeKind, exact, open_on
from fiscus.persistence.repositories.properties import Billable, LateRent
from fiscus.persistence.repositories.receivables import StandardAccount
from fiscus.persistence.uow import UnitOfWork
from fiscus.services.properties.leases import dimensions_of
from fiscus.services.receivables import accounts
from fiscus.services.receivables.charges import write_charges
from fiscus.services.receivables.context import ReceivablesContext

CHUNK = 500


@dataclass(slots=True)
class BillingReport:
    through: date
    leases: int = 0
    rent_charges: int = 0
    late_fees: int = 0
    allocations: int = 0
    skipped: int = 0
    """Charges another run (or an earlier one) had written already."""
    charge_ids: list[UUID] = field(default_factory=list)


async def billing_organizations(ctx: ReceivablesContext) -> list[UUID]:
    """Every organization with a lease (ids only, through a SECURITY DEFINER function)."""
    async with ctx.unit() as uow:
        return await uow.properties.billing_organizations()


async def bill_organization(
    ctx: ReceivablesContext,
    org_id: UUID,
    through: date,
    *,
    user_id: UUID | None = None,
    chunk: int = CHUNK,
) -> BillingReport:
    report = BillingReport(through)
    async with ctx.unit(org_id=org_id, user_id=user_id) as uow:
        billable = await uow.properties.billable(through, month_end(through))
    report.leases = len(billable)
    for start in range(0, len(billable), chunk):
        await _bill_leases(ctx, org_id, user_id, billable[start : start + chunk], through, report)
    await _charge_late_fees(ctx, org_id, user_id, through, report)
    return report


async def _standard(
    uow: UnitOfWork, which: StandardAccount, currencies: set[str], now: datetime
) -> dict[str, UUID]:
    return {
        c: (await accounts.standard_account(uow, which, c, now, "accountId")).id
        for c in sorted(currencies)
    }


async def _bill_leases(
    ctx: ReceivablesContext,
    org_id: UUID,
    user_id: UUID | None,
    billable: Sequence[Billable],
    through: date,
    report: BillingReport,
) -> None:
    now = ctx.clock()
    async with ctx.unit(org_id=org_id, user_id=user_id) as uow:
        tenants = await uow.receivables.lock(
            [p.counterparty_id for b in billable for p in b.lease.parties]
        )
        income = await _standard(
            uow, accounts.RENT_INCOME, {b.lease.currency for b in billable}, now
        )
        charges: list[Charge] = []
        for b in billable:
            lease = b.lease
            since = lease.billed_through + timedelta(days=1) if lease.billed_through else None
            for line in rent_lines(lease, through, since=since):
                charges.append(
                    Charge(
                        uuid.uuid4(),
                        org_id,
                        line.counterparty_id,
                        ChargeKind.RENT,
                        exact(line.amount),
                        lease.currency,
                        line.issued_on,
                        line.due_on,
                        line.description,
                        income[lease.currency],
                        uuid.uuid4(),
                        dimensions_of(b.building_id, lease.unit_id),
                        lease.id,
                        line.source_key,
                        created_at=now,
                    )
                )
        written = await write_charges(uow, user_id, tenants, charges, now)
        await uow.properties.set_billed_through([b.lease.id for b in billable], month_end(through))
        await uow.commit()
    report.rent_charges += len(written.charges)
    report.allocations += len(written.allocations)
    report.skipped += len(charges) - len(written.charges)
    report.charge_ids += [c.id for c in written.charges]


async def _charge_late_fees(
    ctx: ReceivablesContext,
    org_id: UUID,
    user_id: UUID | None,
    through: date,
    report: BillingReport,
) -> None:
    now = ctx.clock()
    async with ctx.unit(org_id=org_id, user_id=user_id) as uow:
        late = await uow.properties.late_rent(through)
        if not late:
            return
        tenants = await uow.receivables.lock([r.counterparty_id for r in late])
        allocations = await uow.properties.allocations_of([r.charge_id for r in late])
        fees_account = await _standard(uow, accounts.LATE_FEES, {r.currency for r in late}, now)
        charges = [
            fee
            for rent in late
            for fee in _fees_of(
                rent,
                allocations.get(rent.charge_id, []),
                through,
                org_id,
                fees_account[rent.currency],
                now,
            )
        ]
        written = await write_charges(uow, user_id, tenants, charges, now)
        await uow.commit()
    report.late_fees += len(written.charges)
    report.allocations += len(written.allocations)
    report.skipped += len(charges) - len(written.charges)
    report.charge_ids += [c.id for c in written.charges]


def _fees_of(
    rent: LateRent,
    allocations: Sequence[Allocation],
    through: date,
    org_id: UUID,
    account_id: UUID,
    now: datetime,
) -> list[Charge]:
    def open_at_end_of(day: date) -> bool:
        return open_on(rent.amount, rent.issued_on, rent.voided_on, allocations, day) > 0

    return [
        Charge(
            uuid.uuid4(),
            org_id,
            rent.counterparty_id,
            ChargeKind.LATE_FEE,
            exact(fee.amount),
            rent.currency,
            fee.day,
            fee.day,
            f"Late fee: rent due {rent.due_on.isoformat()}",
            account_id,
            uuid.uuid4(),
            rent.dimensions,
            rent.lease_id,
            fee.source_key,
            rent.charge_id,
            created_at=now,
        )
        for fee in late_fees(
            rent.rule,
            charge_id=rent.charge_id,
            rent=rent.amount,
            currency=rent.currency,
            due_on=rent.due_on,
            grace_days=rent.grace_days,
            through=through,
            open_at_end_of=open_at_end_of,
            settled_from=rent.settled_from,
        )
    ]
