"""Charges: create one (``createCharge``), write many (the billing job), void one.

Writing charges applies the counterparty's credit (payments with money left to allocate)
to its open charges, oldest due first, in the same transaction; the charge's entry and
every allocation's entry are posted in one statement with it. Voiding reverses the charge's
entry and every live allocation's entry (the money goes back to the counterparty's credit).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.ledger import normalize_tags
from fiscus.domain.receivables import (
    MAX_DESCRIPTION,
    Allocation,
    Charge,
    ChargeKind,
    Counterparty,
    check_amount,
    check_void_date,
    clean_text,
    plan_auto,
)
from fiscus.persistence.models.identity import AuditEventRow
from fiscus.persistence.uow import UnitOfWork
from fiscus.services import idempotency
from fiscus.services.receivables import accounts, ledger
from fiscus.services.receivables.context import ReceivablesContext
from fiscus.services.receivables.entries import (
    allocation_voids,
    allocations_of,
    charge_write,
    lines_of_charge,
)

CREATE_SCOPE = "receivables.create_charge"
VOID_SCOPE = "receivables.void_charge"


@dataclass(frozen=True, slots=True)
class ChargeInput:
    counterparty_id: UUID
    kind: ChargeKind
    amount: Decimal
    due_on: date
    issued_on: date | None = None
    currency: str | None = None
    description: str | None = None
    account_id: UUID | None = None
    dimensions: Mapping[str, str] | None = None
    apply_credit: bool = True
    lease_id: UUID | None = None
    """A charge under a lease (one of its tenants'): tagged with its building and unit."""


@dataclass(frozen=True, slots=True)
class ChargeOutcome:
    charge: Charge
    allocations: list[Allocation]
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Written:
    charges: list[Charge]
    """The charges inserted (those whose source key already existed are left out)."""
    allocations: list[Allocation]


def _request(given: ChargeInput) -> dict[str, object]:
    return {
        "counterparty": str(given.counterparty_id),
        "kind": given.kind.value,
        "amount": str(given.amount.normalize()) if given.amount.is_finite() else "nan",
        "due": given.due_on.isoformat(),
        "issued": given.issued_on.isoformat() if given.issued_on else None,
        "currency": given.currency,
        "description": given.description,
        "account": str(given.account_id) if given.account_id else None,
        "dimensions": dict(given.dimensions or {}),
        "apply_credit": given.apply_credit,
        "lease": str(given.lease_id) if given.lease_id else None,
    }


async def create_charge(
    ctx: ReceivablesContext, principal: Principal, given: ChargeInput, *, idempotency_key: str
) -> ChargeOutcome:
    key = idempotency.check_key(idempotency_key)
    issued_on = given.issued_on or given.due_on
    issues: list[FieldIssue] = []
    if given.due_on < issued_on:
        issues.append(FieldIssue("dueOn", "INVALID", "A charge falls due on or after its issue."))
    try:
        description = clean_text(
            given.description, field_name="description", max_length=MAX_DESCRIPTION
        )
        dimensions = normalize_tags(given.dimensions or {}, field_name="dimensions")
    except ValidationFailed as failure:
        issues.extend(failure.issues)
    if issues:
        raise ValidationFailed(issues)
    now = ctx.clock()
    charge_id = uuid.uuid4()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        replay = await idempotency.once(
            uow,
            scope=CREATE_SCOPE,
            key=key,
            request=_request(given),
            result={"charge_id": str(charge_id)},
            at=now,
        )
        if replay is not None:
            return await _stored(uow, UUID(replay["charge_id"]))
        counterparty = (await uow.receivables.lock([given.counterparty_id])).get(
            given.counterparty_id
        )
        if counterparty is None:
            raise NotFound("No such counterparty.", field="counterpartyId")
        if counterparty.archived:
            raise RuleViolation(
                "ARCHIVED", "The counterparty is archived and takes no charges.", "counterpartyId"
            )
        currency = (given.currency or counterparty.currency).strip().upper()
        if currency != counterparty.currency:
            raise ValidationFailed(
                [
                    FieldIssue(
                        "currency",
                        "CURRENCY_MISMATCH",
                        f"This counterparty is billed in {counterparty.currency}.",
                    )
                ]
            )
        amount = check_amount(given.amount, currency)
        if given.lease_id is not None:
            dimensions = {**dimensions, **await _lease_dimensions(uow, given)}
        account_id = await charge_account(uow, counterparty, given.kind, given.account_id, now)
        charge = Charge(
            charge_id,
            principal.org_id,
            counterparty.id,
            given.kind,
            amount,
            currency,
            issued_on,
            given.due_on,
            description,
            account_id,
            uuid.uuid4(),
            dimensions,
            given.lease_id,
            created_at=now,
        )
        written = await write_charges(
            uow,
            principal.user_id,
            {counterparty.id: counterparty},
            [charge],
            now,
            apply_credit=given.apply_credit,
        )
        await uow.commit()
    return ChargeOutcome(charge, written.allocations)


async def _lease_dimensions(uow: UnitOfWork, given: ChargeInput) -> dict[str, str]:
    assert given.lease_id is not None
    lease = (await uow.properties.leases([given.lease_id])).get(given.lease_id)
    if lease is None:
        raise NotFound("No such lease.", field="leaseId")
    if given.counterparty_id not in {p.counterparty_id for p in lease.parties}:
        raise ValidationFailed(
            [FieldIssue("leaseId", "INVALID", "The counterparty is not a tenant of this lease.")]
        )
    unit = await uow.properties.unit_row(lease.unit_id)
    assert unit is not None
    return {"building": str(unit.building_id), "unit": str(unit.id)}


async def charge_account(
    uow: UnitOfWork,
    counterparty: Counterparty,
    kind: ChargeKind,
    account_id: UUID | None,
    now: datetime,
    *,
    field_name: str = "accountId",
) -> UUID:
    """The given account, else the counterparty's default, else the standard account of
    rent, late fees and deposits; other kinds need one."""
    if account_id is not None:
        found = await uow.receivables.accounts([account_id])
        accounts.check_account(
            found,
            account_id,
            field_name=field_name,
            currency=counterparty.currency,
            not_one_of=[counterparty.control_account_id, counterparty.credit_account_id],
        )
        return account_id
    if counterparty.default_account_id is not None:
        return counterparty.default_account_id
    standard = accounts.CHARGE_DEFAULTS.get(kind)
    if standard is None:
        raise ValidationFailed(
            [
                FieldIssue(
                    field_name,
                    "REQUIRED",
                    "Name the account this charge posts to (the counterparty has no default).",
                )
            ]
        )
    return (
        await accounts.standard_account(uow, standard, counterparty.currency, now, field_name)
    ).id


async def write_charges(
    uow: UnitOfWork,
    user_id: UUID | None,
    counterparties: Mapping[UUID, Counterparty],
    charges: Sequence[Charge],
    now: datetime,
    *,
    apply_credit: bool = True,
    account_field: str = "accountId",
) -> Written:
    """Inserts the charges (those whose ``source_key`` exists already are skipped, even if
    a concurrent transaction inserts it: this one then waits and skips), applies credit,
    posts every entry and records the events. The counterparties must be locked."""
    inserted = await uow.receivables.insert_charges(charges, user_id=user_id, at=now)
    new = [c for c in charges if c.id in inserted]
    writes = [
        charge_write(counterparties[c.counterparty_id], c, now, account_field=account_field)
        for c in new
    ]
    allocations: list[Allocation] = []
    if apply_credit and new:
        allocations, allocation_writes = await apply_credits(
            uow, counterparties, {c.counterparty_id for c in new}, now
        )
        writes += allocation_writes
    await ledger.post(uow, user_id, writes, now)
    await uow.receivables.insert_allocations(allocations, now)
    await uow.receivables.refresh_derived(
        [a.charge_id for a in allocations], [a.payment_id for a in allocations]
    )
    events = [
        ledger.event(
            c.org_id,
            user_id,
            action="receivables.charge_created",
            subject_type="charge",
            subject_id=c.id,
            at=now,
            details={
                "counterparty": str(c.counterparty_id),
                "kind": c.kind.value,
                "amount": str(c.amount),
                "currency": c.currency,
                "due": c.due_on.isoformat(),
            },
        )
        for c in new
    ] + allocation_events(allocations, user_id, now)
    await ledger.record_events(uow, events)
    return Written(new, allocations)


async def apply_credits(
    uow: UnitOfWork,
    counterparties: Mapping[UUID, Counterparty],
    counterparty_ids: set[UUID],
    now: datetime,
) -> tuple[list[Allocation], list[ledger.LedgerWrite]]:
    """The counterparties' credit (oldest payment first) against their open charges (oldest
    due first), as allocation documents and entries to post."""
    credits = await uow.receivables.credits(sorted(counterparty_ids))
    if not credits:
        return [], []
    open_items = await uow.receivables.open_items(sorted(credits))
    dimensions = await _dimensions(
        uow, [i.charge_id for items in open_items.values() for i in items]
    )
    allocations: list[Allocation] = []
    writes: list[ledger.LedgerWrite] = []
    for counterparty_id, cp_credits in sorted(credits.items()):
        planned = plan_auto(cp_credits, open_items.get(counterparty_id, []))
        made, made_writes = allocations_of(
            counterparties[counterparty_id], planned, dimensions, now
        )
        allocations += made
        writes += made_writes
    return allocations, writes


async def _dimensions(uow: UnitOfWork, charge_ids: Sequence[UUID]) -> dict[UUID, Mapping[str, str]]:
    if not charge_ids:
        return {}
    return {i: c.dimensions for i, c in (await uow.receivables.charges(charge_ids)).items()}


def allocation_events(
    allocations: Sequence[Allocation], user_id: UUID | None, now: datetime
) -> list[AuditEventRow]:
    return [
        ledger.event(
            a.org_id,
            user_id,
            action="receivables.payment_allocated",
            subject_type="allocation",
            subject_id=a.id,
            at=now,
            details={
                "payment": str(a.payment_id),
                "charge": str(a.charge_id),
                "amount": str(a.amount),
                "date": a.allocated_on.isoformat(),
            },
        )
        for a in allocations
    ]


async def void_charge(
    ctx: ReceivablesContext,
    principal: Principal,
    charge_id: UUID,
    *,
    idempotency_key: str,
    day: date | None = None,
    reason: str | None = None,
) -> ChargeOutcome:
    key = idempotency.check_key(idempotency_key)
    reason = clean_text(reason, field_name="reason", max_length=MAX_DESCRIPTION)
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        replay = await idempotency.once(
            uow,
            scope=VOID_SCOPE,
            key=key,
            request={
                "charge": str(charge_id),
                "date": day.isoformat() if day else None,
                "reason": reason,
            },
            result={"charge_id": str(charge_id)},
            at=now,
        )
        if replay is not None:
            return await _stored(uow, UUID(replay["charge_id"]))
        charge = await void_charges(
            uow, principal.user_id, [charge_id], day or now.date(), reason, now
        )
        await uow.commit()
    return ChargeOutcome(charge[0], [])


async def void_charges(
    uow: UnitOfWork,
    user_id: UUID | None,
    charge_ids: Sequence[UUID],
    day: date,
    reason: str | None,
    now: datetime,
) -> list[Charge]:
    """Voids the charges (reversing their entries and their live allocations' entries);
    ``ALREADY_VOIDED`` / ``NOT_FOUND`` name ``chargeId``."""
    seen = await uow.receivables.charges(charge_ids)
    if len(seen) < len(set(charge_ids)):
        raise NotFound("No such charge.", field="chargeId")
    counterparties = await uow.receivables.lock([c.counterparty_id for c in seen.values()])
    charges = await uow.receivables.charges(charge_ids)  # as of the lock
    live = [
        a for a in await uow.receivables.allocations_of_charges(charge_ids) if a.voided_on is None
    ]
    writes: list[ledger.LedgerWrite] = []
    voids: list[tuple[UUID, UUID]] = []
    events: list[AuditEventRow] = []
    voided: list[Charge] = []
    for charge_id in charge_ids:
        charge = charges[charge_id]
        if charge.voided_on is not None:
            raise RuleViolation("ALREADY_VOIDED", "This charge was already voided.", "chargeId")
        check_void_date(day, charge.issued_on, what="the charge's issue date")
        mine = [a for a in live if a.charge_id == charge_id]
        for allocation in mine:
            check_void_date(day, allocation.allocated_on, what="a payment allocated to it")
        counterparty = counterparties[charge.counterparty_id]
        made_voids, made_writes = allocation_voids(counterparty, mine, charges, day, now)
        entry = ledger.reversal(
            charge.entry_id,
            charge.org_id,
            day,
            f"Void of charge: {charge.description or charge.due_on.isoformat()}",
            lines_of_charge(counterparty, charge),
            now,
        )
        writes += [*made_writes, ledger.LedgerWrite(entry, "receivables.charge_voided", {})]
        voids += made_voids
        await uow.receivables.void_charge(charge_id, day, reason, entry.id)
        settled = day if charge.settled_from is None else min(charge.settled_from, day)
        voided.append(replace(charge, voided_on=day, void_reason=reason, settled_from=settled))
        events.append(
            ledger.event(
                charge.org_id,
                user_id,
                action="receivables.charge_voided",
                subject_type="charge",
                subject_id=charge_id,
                at=now,
                details={"date": day.isoformat(), "freed": len(mine), "reason": reason},
            )
        )
    await ledger.post(uow, user_id, writes, now)
    await uow.receivables.void_allocations(voids, day)
    await uow.receivables.refresh_derived(
        list(charge_ids), [a.payment_id for a in live if a.charge_id in set(charge_ids)]
    )
    await ledger.record_events(uow, events)
    return voided


async def _stored(uow: UnitOfWork, charge_id: UUID) -> ChargeOutcome:
    found = (await uow.receivables.charges([charge_id])).get(charge_id)
    if found is None:
        raise RuleViolation(
            "NOT_FOUND", "The charge this key created no longer exists.", "idempotencyKey"
        )
    allocations = await uow.receivables.allocations_of_charges([charge_id])
    return ChargeOutcome(found, allocations, replayed=True)
