"""Property mutations: building, unit and lease CRUD, terminateLease, lease documents and
recordPropertyExpense. One ``input`` each, typed errors; idempotency keys where money moves
(a lease's deposits, a termination's voids, an expense). ``PROPERTIES_WRITE`` (members)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import strawberry
from strawberry.types import Info

from fiscus.domain import properties as domain
from fiscus.domain.identity import Permission
from fiscus.resolvers.receivables import ids
from fiscus.schema import properties as types
from fiscus.schema import properties_inputs as inputs
from fiscus.schema.errors import UserError, attempt
from fiscus.schema.ledger import TagInput
from fiscus.schema.permissions import requires
from fiscus.schema.receivables import Charge
from fiscus.schema.relay import to_global_id
from fiscus.services.properties import buildings, expenses, leases

WRITE = [requires(Permission.PROPERTIES_WRITE)]
R = TypeVar("R")


async def _attempt(info: Info, run: Callable[[], Awaitable[R]]) -> R | UserError:
    result = await attempt(run)
    if not isinstance(result, UserError):
        await info.context.after_write()
    return result


def _details(raw: Sequence[TagInput] | None) -> dict[str, str] | None:
    return None if raw is None else ids.tags(raw)


def _rule(raw: inputs.LateFeeInput | None) -> domain.LateFeeRule | None:
    return domain.LateFeeRule(raw.kind, raw.amount, raw.mode, raw.cap) if raw else None


def _lease(outcome: leases.LeaseOutcome) -> inputs.LeaseSuccess:
    return inputs.LeaseSuccess(
        lease=types.Lease.from_domain(outcome.lease),
        charges=[Charge.from_domain(c) for c in outcome.charges],
        voided=[Charge.from_domain(c) for c in outcome.voided],
        replayed=outcome.replayed,
    )


@strawberry.type
class PropertiesMutation:
    @strawberry.mutation(permission_classes=WRITE)
    async def create_building(
        self, info: Info, input: inputs.CreateBuildingInput
    ) -> inputs.BuildingResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.BuildingSuccess:
            made = await buildings.create_building(
                info.context.ledger,
                principal,
                name=input.name,
                currency=input.currency,
                address=input.address,
                details=_details(input.details),
            )
            return inputs.BuildingSuccess(building=types.Building.from_domain(made))

        return await _attempt(info, run)

    @strawberry.mutation(permission_classes=WRITE)
    async def update_building(
        self, info: Info, input: inputs.UpdateBuildingInput
    ) -> inputs.BuildingResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.BuildingSuccess:
            changed = await buildings.update_building(
                info.context.ledger,
                principal,
                ids.of(input.building_id, "Building", "buildingId"),
                buildings.BuildingChanges(
                    name=input.name, address=input.address, details=_details(input.details)
                ),
            )
            return inputs.BuildingSuccess(building=types.Building.from_domain(changed))

        return await _attempt(info, run)

    @strawberry.mutation(
        description="Only a building without units or expenses.", permission_classes=WRITE
    )
    async def delete_building(
        self, info: Info, input: inputs.BuildingIdInput
    ) -> inputs.DeletedResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.DeletedSuccess:
            gone = await buildings.delete_building(
                info.context.ledger, principal, ids.of(input.building_id, "Building", "buildingId")
            )
            return inputs.DeletedSuccess(deleted_id=to_global_id("Building", gone))

        return await _attempt(info, run)

    @strawberry.mutation(permission_classes=WRITE)
    async def create_unit(self, info: Info, input: inputs.CreateUnitInput) -> inputs.UnitResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.UnitSuccess:
            made = await buildings.create_unit(
                info.context.ledger,
                principal,
                building_id=ids.of(input.building_id, "Building", "buildingId"),
                number=input.number,
                size=input.size,
                bedrooms=input.bedrooms,
                market_rent=input.market_rent,
            )
            return inputs.UnitSuccess(unit=types.Unit.from_domain(made))

        return await _attempt(info, run)

    @strawberry.mutation(permission_classes=WRITE)
    async def update_unit(self, info: Info, input: inputs.UpdateUnitInput) -> inputs.UnitResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.UnitSuccess:
            changed = await buildings.update_unit(
                info.context.ledger,
                principal,
                ids.of(input.unit_id, "Unit", "unitId"),
                buildings.UnitChanges(
                    number=input.number,
                    size=input.size,
                    bedrooms=input.bedrooms,
                    market_rent=input.market_rent,
                ),
            )
            return inputs.UnitSuccess(unit=types.Unit.from_domain(changed))

        return await _attempt(info, run)

    @strawberry.mutation(
        description="Only a unit without leases or expenses.", permission_classes=WRITE
    )
    async def delete_unit(self, info: Info, input: inputs.UnitIdInput) -> inputs.DeletedResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.DeletedSuccess:
            gone = await buildings.delete_unit(
                info.context.ledger, principal, ids.of(input.unit_id, "Unit", "unitId")
            )
            return inputs.DeletedSuccess(deleted_id=to_global_id("Unit", gone))

        return await _attempt(info, run)

    @strawberry.mutation(
        description="A lease of a unit (never overlapping another of the unit), with each "
        "tenant's share of the deposit charged on its start. Rent is billed by the daily job.",
        permission_classes=WRITE,
    )
    async def create_lease(self, info: Info, input: inputs.CreateLeaseInput) -> inputs.LeaseResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.LeaseSuccess:
            outcome = await leases.create_lease(
                info.context.ledger,
                principal,
                leases.LeaseTerms(
                    unit_id=ids.of(input.unit_id, "Unit", "unitId"),
                    starts_on=input.starts_on,
                    ends_on=input.ends_on,
                    monthly_rent=input.monthly_rent,
                    due_day=input.due_day,
                    grace_days=input.grace_days,
                    deposit=input.deposit,
                    late_fee=_rule(input.late_fee),
                    parties=[
                        domain.LeaseParty(
                            ids.of(p.counterparty_id, "Counterparty", "counterpartyId"), p.share
                        )
                        for p in input.parties
                    ],
                ),
                idempotency_key=input.idempotency_key,
            )
            return _lease(outcome)

        return await _attempt(info, run)

    @strawberry.mutation(
        description="Rent, due day, grace days and the late-fee rule apply to months not "
        "billed yet; the end moves within the unit's free days.",
        permission_classes=WRITE,
    )
    async def update_lease(self, info: Info, input: inputs.UpdateLeaseInput) -> inputs.LeaseResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.LeaseSuccess:
            changed = await leases.update_lease(
                info.context.ledger,
                principal,
                ids.of(input.lease_id, "Lease", "leaseId"),
                leases.LeaseChanges(
                    ends_on=input.ends_on,
                    clear_ends_on=input.clear_ends_on,
                    monthly_rent=input.monthly_rent,
                    due_day=input.due_day,
                    grace_days=input.grace_days,
                    late_fee=_rule(input.late_fee),
                    clear_late_fee=input.clear_late_fee,
                ),
            )
            return _lease(leases.LeaseOutcome(changed, [], []))

        return await _attempt(info, run)

    @strawberry.mutation(
        description="Only a lease never charged; otherwise terminate it.",
        permission_classes=WRITE,
    )
    async def delete_lease(self, info: Info, input: inputs.LeaseIdInput) -> inputs.DeletedResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.DeletedSuccess:
            gone = await leases.delete_lease(
                info.context.ledger, principal, ids.of(input.lease_id, "Lease", "leaseId")
            )
            return inputs.DeletedSuccess(deleted_id=to_global_id("Lease", gone))

        return await _attempt(info, run)

    @strawberry.mutation(
        description="Ends the lease after `date`: later months already billed are voided, "
        "the last month is billed again prorated.",
        permission_classes=WRITE,
    )
    async def terminate_lease(
        self, info: Info, input: inputs.TerminateLeaseInput
    ) -> inputs.LeaseResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.LeaseSuccess:
            outcome = await leases.terminate_lease(
                info.context.ledger,
                principal,
                ids.of(input.lease_id, "Lease", "leaseId"),
                last_day=input.date,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            )
            return _lease(outcome)

        return await _attempt(info, run)

    @strawberry.mutation(description="Metadata only.", permission_classes=WRITE)
    async def add_lease_document(
        self, info: Info, input: inputs.AddLeaseDocumentInput
    ) -> inputs.LeaseDocumentResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.LeaseDocumentSuccess:
            made = await leases.add_lease_document(
                info.context.ledger,
                principal,
                ids.of(input.lease_id, "Lease", "leaseId"),
                name=input.name,
                content_type=input.content_type,
                size_bytes=input.size_bytes,
                storage_key=input.storage_key,
            )
            return inputs.LeaseDocumentSuccess(document=types.LeaseDocument.from_domain(made))

        return await _attempt(info, run)

    @strawberry.mutation(permission_classes=WRITE)
    async def remove_lease_document(
        self, info: Info, input: inputs.RemoveLeaseDocumentInput
    ) -> inputs.DeletedResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.DeletedSuccess:
            gone = await leases.remove_lease_document(
                info.context.ledger,
                principal,
                ids.of(input.document_id, "LeaseDocument", "documentId"),
            )
            return inputs.DeletedSuccess(deleted_id=to_global_id("LeaseDocument", gone))

        return await _attempt(info, run)

    @strawberry.mutation(
        description="An expense paid to a vendor for a building (or unit): debit the "
        "category, credit the payment account, both tagged with the building and unit.",
        permission_classes=WRITE,
    )
    async def record_property_expense(
        self, info: Info, input: inputs.RecordPropertyExpenseInput
    ) -> inputs.PropertyExpenseResult:
        principal = await info.context.require_principal()

        async def run() -> inputs.PropertyExpenseSuccess:
            made = await expenses.record_property_expense(
                info.context.ledger,
                principal,
                expenses.ExpenseInput(
                    vendor_id=ids.of(input.vendor_id, "Counterparty", "vendorId"),
                    building_id=ids.of(input.building_id, "Building", "buildingId"),
                    unit_id=ids.maybe(input.unit_id, "Unit", "unitId"),
                    amount=input.amount,
                    spent_on=input.date,
                    category_account_id=ids.of(input.category, "Account", "category"),
                    payment_account_id=ids.of(input.payment_account, "Account", "paymentAccount"),
                    description=input.description,
                ),
                idempotency_key=input.idempotency_key,
            )
            return inputs.PropertyExpenseSuccess(
                id=to_global_id("PropertyExpense", made.id),
                amount=made.amount,
                currency=made.currency,
                date=made.spent_on,
                entry_id=to_global_id("JournalEntry", made.entry_id),
                replayed=made.replayed,
            )

        return await _attempt(info, run)
