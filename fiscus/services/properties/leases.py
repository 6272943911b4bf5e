"""Leases: create (with each tenant's deposit charge), change, delete (never billed),
terminate (unbilled months stay unbilled, months billed past the end are voided, the last
month is re-billed prorated), documents (metadata only).

A unit's leases are written one at a time (the unit's row lock), so two leases of a unit
never overlap. Lease charges carry the building and unit as dimensions.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.properties import (
    LateFeeRule,
    Lease,
    LeaseDocument,
    LeaseParty,
    check_document,
    check_parties,
    check_terms,
    deposit_lines,
    month_start,
    rent_lines,
)
from fiscus.domain.receivables import (
    MAX_DESCRIPTION,
    Charge,
    ChargeKind,
    ChargeStatus,
    Counterparty,
    CounterpartyKind,
    clean_text,
    exact,
)
from fiscus.persistence.models.properties import LeaseDocumentRow, LeaseRow
from fiscus.persistence.repositories.properties import lease_values
from fiscus.persistence.uow import UnitOfWork
from fiscus.services import idempotency
from fiscus.services.properties.buildings import audit
from fiscus.services.receivables import accounts
from fiscus.services.receivables.charges import void_charges, write_charges
from fiscus.services.receivables.context import ReceivablesContext

CREATE_SCOPE = "properties.create_lease"
TERMINATE_SCOPE = "properties.terminate_lease"


@dataclass(frozen=True, slots=True)
class LeaseTerms:
    unit_id: UUID
    starts_on: date
    ends_on: date | None
    monthly_rent: Decimal
    due_day: int
    parties: Sequence[LeaseParty]
    grace_days: int = 0
    deposit: Decimal = Decimal(0)
    late_fee: LateFeeRule | None = None


@dataclass(frozen=True, slots=True)
class LeaseChanges:
    ends_on: date | None = None
    clear_ends_on: bool = False
    monthly_rent: Decimal | None = None
    due_day: int | None = None
    grace_days: int | None = None
    late_fee: LateFeeRule | None = None
    clear_late_fee: bool = False


@dataclass(frozen=True, slots=True)
class LeaseOutcome:
    lease: Lease
    charges: list[Charge]
    """Charges this request wrote (deposits; on termination the prorated last month)."""
    voided: list[Charge]
    replayed: bool = False


def dimensions_of(building_id: UUID, unit_id: UUID) -> dict[str, str]:
    return {"building": str(building_id), "unit": str(unit_id)}


async def _tenants(
    uow: UnitOfWork, parties: Sequence[LeaseParty], currency: str
) -> dict[UUID, Counterparty]:
    found = await uow.receivables.lock([p.counterparty_id for p in parties])
    issues: list[FieldIssue] = []
    for i, party in enumerate(parties):
        at = f"parties[{i}].counterpartyId"
        cp = found.get(party.counterparty_id)
        if cp is None:
            issues.append(FieldIssue(at, "NOT_FOUND", "No such counterparty."))
        elif cp.kind is CounterpartyKind.VENDOR:
            issues.append(FieldIssue(at, "INVALID", "A vendor cannot be a tenant."))
        elif cp.archived:
            issues.append(FieldIssue(at, "ARCHIVED", "The counterparty is archived."))
        elif cp.currency != currency:
            issues.append(
                FieldIssue(at, "CURRENCY_MISMATCH", f"The building is let in {currency}.")
            )
    if issues:
        if all(i.code == "NOT_FOUND" for i in issues):
            raise NotFound(issues[0].message, field=issues[0].field)
        raise ValidationFailed(issues)
    return found


def _no_overlap(others: Sequence[Lease], starts_on: date, last_day: date | None, me: UUID) -> None:
    for other in others:
        if other.id != me and other.overlaps(starts_on, last_day):
            raise RuleViolation(
                "LEASE_OVERLAP",
                f"The unit is let from {other.starts_on.isoformat()}"
                + (f" through {other.last_day.isoformat()}" if other.last_day else "")
                + " under another lease.",
                "startsOn",
            )


async def create_lease(
    ctx: ReceivablesContext, principal: Principal, terms: LeaseTerms, *, idempotency_key: str
) -> LeaseOutcome:
    key = idempotency.check_key(idempotency_key)
    parties = check_parties(terms.parties)
    now = ctx.clock()
    lease_id = uuid.uuid4()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        replay = await idempotency.once(
            uow,
            scope=CREATE_SCOPE,
            key=key,
            request=_request(terms),
            result={"lease_id": str(lease_id)},
            at=now,
        )
        if replay is not None:
            stored = (await uow.properties.leases([UUID(replay["lease_id"])])).values()
            if not stored:
                raise RuleViolation("NOT_FOUND", "That lease is gone.", "idempotencyKey")
            return LeaseOutcome(next(iter(stored)), [], [], replayed=True)
        unit = await uow.properties.unit_row(terms.unit_id, for_update=True)
        if unit is None:
            raise NotFound("No such unit.", field="unitId")
        building = await uow.properties.building_row(unit.building_id)
        assert building is not None
        currency = building.currency.strip()
        check_terms(
            starts_on=terms.starts_on,
            ends_on=terms.ends_on,
            monthly_rent=terms.monthly_rent,
            currency=currency,
            deposit=terms.deposit,
            due_day=terms.due_day,
            grace_days=terms.grace_days,
            late_fee=terms.late_fee,
        )
        tenants = await _tenants(uow, parties, currency)
        lease = Lease(
            lease_id,
            principal.org_id,
            unit.id,
            terms.starts_on,
            terms.ends_on,
            terms.monthly_rent,
            currency,
            terms.due_day,
            terms.grace_days,
            parties,
            terms.deposit,
            terms.late_fee,
            created_at=now,
        )
        _no_overlap(
            await uow.properties.leases_of_unit(unit.id), lease.starts_on, lease.last_day, lease.id
        )
        await uow.properties.add(
            LeaseRow(org_id=principal.org_id, id=lease.id, created_at=now, **lease_values(lease))
        )
        await uow.properties.replace_parties(lease.id, parties)
        deposit_account = await accounts.standard_account(
            uow, accounts.DEPOSITS_HELD, currency, now, "deposit"
        )
        dims = dimensions_of(unit.building_id, unit.id)
        deposits = [
            Charge(
                uuid.uuid4(),
                principal.org_id,
                counterparty_id,
                ChargeKind.DEPOSIT,
                exact(amount),
                currency,
                lease.starts_on,
                lease.starts_on,
                f"Security deposit, unit {unit.number}",
                deposit_account.id,
                uuid.uuid4(),
                dims,
                lease.id,
                f"deposit:{lease.id}:{counterparty_id}",
                created_at=now,
            )
            for counterparty_id, amount in deposit_lines(lease)
        ]
        written = await write_charges(
            uow, principal.user_id, tenants, deposits, now, account_field="deposit"
        )
        await audit(
            uow,
            principal,
            now,
            "properties.lease_created",
            "lease",
            lease.id,
            {
                "unit": str(unit.id),
                "starts": lease.starts_on.isoformat(),
                "rent": str(lease.monthly_rent),
            },
        )
        await uow.commit()
    return LeaseOutcome(lease, written.charges, [])


def _request(terms: LeaseTerms) -> dict[str, object]:
    rule = terms.late_fee
    return {
        "unit": str(terms.unit_id),
        "starts": terms.starts_on.isoformat(),
        "ends": terms.ends_on.isoformat() if terms.ends_on else None,
        "rent": str(terms.monthly_rent),
        "due_day": terms.due_day,
        "grace": terms.grace_days,
        "deposit": str(terms.deposit),
        "parties": [[str(p.counterparty_id), str(p.share)] for p in terms.parties],
        "late_fee": None
        if rule is None
        else [rule.kind.value, str(rule.amount), rule.mode.value, str(rule.cap)],
    }


async def _locked_lease(uow: UnitOfWork, lease_id: UUID) -> tuple[LeaseRow, Lease]:
    row = await uow.properties.lease_row(lease_id)
    if row is None:
        raise NotFound("No such lease.", field="leaseId")
    await uow.properties.lock_unit(row.unit_id)
    lease = (await uow.properties.leases([lease_id]))[lease_id]
    return row, lease


async def update_lease(
    ctx: ReceivablesContext, principal: Principal, lease_id: UUID, changes: LeaseChanges
) -> Lease:
    """Rent, due day, grace days and the late-fee rule apply to months not billed yet; the
    end moves only where no other lease of the unit is and not before a billed month."""
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row, lease = await _locked_lease(uow, lease_id)
        ends_on = None if changes.clear_ends_on else (changes.ends_on or lease.ends_on)
        updated = replace(
            lease,
            ends_on=ends_on,
            monthly_rent=changes.monthly_rent
            if changes.monthly_rent is not None
            else lease.monthly_rent,
            due_day=changes.due_day if changes.due_day is not None else lease.due_day,
            grace_days=changes.grace_days if changes.grace_days is not None else lease.grace_days,
            late_fee=None if changes.clear_late_fee else (changes.late_fee or lease.late_fee),
        )
        check_terms(
            starts_on=updated.starts_on,
            ends_on=updated.ends_on,
            monthly_rent=updated.monthly_rent,
            currency=updated.currency,
            deposit=updated.deposit,
            due_day=updated.due_day,
            grace_days=updated.grace_days,
            late_fee=updated.late_fee,
        )
        if (
            lease.billed_through is not None
            and updated.last_day is not None
            and updated.last_day < lease.billed_through
        ):
            raise RuleViolation(
                "INVALID",
                f"Rent is billed through {lease.billed_through.isoformat()}; terminate the "
                "lease to end it earlier.",
                "endsOn",
            )
        _no_overlap(
            await uow.properties.leases_of_unit(lease.unit_id),
            updated.starts_on,
            updated.last_day,
            lease.id,
        )
        for name, value in lease_values(updated).items():
            setattr(row, name, value)
        await uow.properties.flush()
        await audit(
            uow,
            principal,
            now,
            "properties.lease_updated",
            "lease",
            lease.id,
            {
                "rent": str(updated.monthly_rent),
                "ends": updated.ends_on.isoformat() if updated.ends_on else None,
            },
        )
        await uow.commit()
    return updated


async def delete_lease(ctx: ReceivablesContext, principal: Principal, lease_id: UUID) -> UUID:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row, _ = await _locked_lease(uow, lease_id)
        if await uow.properties.lease_has_charges(lease_id):
            raise RuleViolation(
                "IN_USE", "A lease with charges cannot be deleted; terminate it.", "leaseId"
            )
        await uow.properties.remove(row)
        await audit(uow, principal, now, "properties.lease_deleted", "lease", lease_id, {})
        await uow.commit()
    return lease_id


async def terminate_lease(
    ctx: ReceivablesContext,
    principal: Principal,
    lease_id: UUID,
    *,
    last_day: date,
    idempotency_key: str,
    reason: str | None = None,
) -> LeaseOutcome:
    """Ends the lease after ``last_day``: rent of later months already billed is voided (its
    payments go back to the tenants' credit) and a month billed for more days than the lease
    now covers is voided and billed again, prorated (key ``...:final``)."""
    key = idempotency.check_key(idempotency_key)
    reason = clean_text(reason, field_name="reason", max_length=MAX_DESCRIPTION)
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        replay = await idempotency.once(
            uow,
            scope=TERMINATE_SCOPE,
            key=key,
            request={"lease": str(lease_id), "last_day": last_day.isoformat(), "reason": reason},
            result={"lease_id": str(lease_id)},
            at=now,
        )
        if replay is not None:
            found = (await uow.properties.leases([lease_id]))[lease_id]
            return LeaseOutcome(found, [], [], replayed=True)
        row, lease = await _locked_lease(uow, lease_id)
        if lease.terminated_on is not None:
            raise RuleViolation(
                "INVALID",
                f"The lease was terminated as of {lease.terminated_on.isoformat()}.",
                "leaseId",
            )
        if last_day < lease.starts_on or (lease.ends_on and last_day > lease.ends_on):
            raise ValidationFailed(
                [FieldIssue("date", "INVALID", "A lease ends between its start and its end.")]
            )
        ended = replace(lease, terminated_on=last_day)
        row.terminated_on = last_day
        await uow.properties.flush()
        voided, rebilled = await _settle_billed_months(uow, principal, lease, ended, now, reason)
        await audit(
            uow,
            principal,
            now,
            "properties.lease_terminated",
            "lease",
            lease.id,
            {"last_day": last_day.isoformat(), "voided": len(voided), "reason": reason},
        )
        await uow.commit()
    return LeaseOutcome(ended, rebilled, voided)


async def _settle_billed_months(
    uow: UnitOfWork,
    principal: Principal,
    lease: Lease,
    ended: Lease,
    now: datetime,
    reason: str | None,
) -> tuple[list[Charge], list[Charge]]:
    assert ended.terminated_on is not None
    billed = [
        c
        for c in await uow.receivables.lease_charges(lease.id, ChargeKind.RENT)
        if c.status is not ChargeStatus.VOID and c.issued_on >= month_start(ended.terminated_on)
    ]
    if not billed:
        return [], []
    last_month = month_start(ended.terminated_on)
    wanted = {
        (line.counterparty_id, line.month): line
        for line in rent_lines(ended, ended.terminated_on, since=last_month)
    }
    to_void = [
        c
        for c in billed
        if (line := wanted.get((c.counterparty_id, month_start(c.issued_on)))) is None
        or line.amount != c.amount
    ]
    allocations = await uow.receivables.allocations_of_charges([c.id for c in to_void])
    by_day: dict[date, list[UUID]] = {}
    for charge in to_void:
        dates = [charge.issued_on, ended.terminated_on] + [
            a.allocated_on for a in allocations if a.charge_id == charge.id and a.voided_on is None
        ]
        by_day.setdefault(max(dates), []).append(charge.id)
    voided: list[Charge] = []
    for day, ids in sorted(by_day.items()):
        voided += await void_charges(
            uow, principal.user_id, ids, day, reason or "Lease terminated", now
        )
    rebill = [
        (c, wanted[(c.counterparty_id, month_start(c.issued_on))])
        for c in to_void
        if (c.counterparty_id, month_start(c.issued_on)) in wanted
    ]
    tenants = await uow.receivables.lock([c.counterparty_id for c, _ in rebill])
    charges = [
        Charge(
            uuid.uuid4(),
            principal.org_id,
            c.counterparty_id,
            ChargeKind.RENT,
            exact(line.amount),
            c.currency,
            c.issued_on,
            c.due_on,
            line.description,
            c.account_id,
            uuid.uuid4(),
            c.dimensions,
            lease.id,
            f"{line.source_key}:final",
            created_at=now,
        )
        for c, line in rebill
    ]
    written = await write_charges(uow, principal.user_id, tenants, charges, now)
    return voided, written.charges


async def add_lease_document(
    ctx: ReceivablesContext,
    principal: Principal,
    lease_id: UUID,
    *,
    name: str,
    content_type: str | None = None,
    size_bytes: int | None = None,
    storage_key: str | None = None,
) -> LeaseDocument:
    clean = check_document(name, content_type, size_bytes)
    if storage_key is not None and len(storage_key) > 500:
        raise ValidationFailed([FieldIssue("storageKey", "TOO_LONG", "At most 500 characters.")])
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        if await uow.properties.lease_row(lease_id) is None:
            raise NotFound("No such lease.", field="leaseId")
        row = LeaseDocumentRow(
            org_id=principal.org_id,
            id=uuid.uuid4(),
            lease_id=lease_id,
            name=clean,
            content_type=content_type,
            size_bytes=size_bytes,
            storage_key=storage_key,
            uploaded_at=now,
            uploaded_by=principal.user_id,
        )
        await uow.properties.add(row)
        await audit(
            uow, principal, now, "properties.document_added", "lease", lease_id, {"name": clean}
        )
        await uow.commit()
    return LeaseDocument(
        row.id, principal.org_id, lease_id, clean, content_type, size_bytes, storage_key, now
    )


async def remove_lease_document(
    ctx: ReceivablesContext, principal: Principal, document_id: UUID
) -> UUID:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        row = await uow.properties.document_row(document_id)
        if row is None:
            raise NotFound("No such document.", field="documentId")
        await uow.properties.remove(row)
        await audit(
            uow,
            principal,
            now,
            "properties.document_removed",
            "lease",
            row.lease_id,
            {"name": row.name},
        )
        await uow.commit()
    return document_id
