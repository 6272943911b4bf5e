"""Receivables queries: counterparties, charges and payments (connections with filters),
aging as of a day, statements of account. ``RECEIVABLES_READ``."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain import receivables as domain
from fiscus.domain.errors import DomainError
from fiscus.domain.identity import Permission, Principal
from fiscus.resolvers.receivables import cursors, ids
from fiscus.schema import receivables as types
from fiscus.schema.permissions import requires
from fiscus.schema.relay import Connection, build_connection, check_first
from fiscus.services.receivables import queries, reports
from fiscus.services.receivables.queries import (
    ChargeFilters,
    CounterpartyFilters,
    PaymentFilters,
)

READ = [requires(Permission.RECEIVABLES_READ)]
From = Annotated[date, strawberry.argument(name="from")]
MaybeFrom = Annotated[date | None, strawberry.argument(name="from")]
_KEY_TYPES = {
    types.AgingGroupBy.COUNTERPARTY: "Counterparty",
    types.AgingGroupBy.BUILDING: "Building",
    types.AgingGroupBy.UNIT: "Unit",
    types.AgingGroupBy.TOTAL: None,
}


def _argument_error(error: DomainError) -> GraphQLError:
    return GraphQLError(
        error.message, extensions={"code": error.code, "argument": error.field or "from"}
    )


async def resolve_receivables_node(
    info: Info, principal: Principal, type_name: str, key: UUID
) -> types.Counterparty | types.Charge | types.Payment | None:
    if not principal.can(Permission.RECEIVABLES_READ):
        return None
    loaders = info.context.loaders.receivables
    if type_name == "Counterparty":
        found_cp = await loaders.counterparties.load(key)
        return types.Counterparty.from_domain(found_cp) if found_cp else None
    if type_name == "Charge":
        found_charge = await loaders.charges.load(key)
        return types.Charge.from_domain(found_charge) if found_charge else None
    if type_name == "Payment":
        found_payment = await loaders.payments.load(key)
        return types.Payment.from_domain(found_payment) if found_payment else None
    return None


@strawberry.type
class ReceivablesQuery:
    @strawberry.field(
        description="Customers, tenants and vendors, by name.", permission_classes=READ
    )
    async def counterparties(
        self,
        info: Info,
        kind: domain.CounterpartyKind | None = None,
        search: str | None = None,
        include_archived: bool = False,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[types.Counterparty]:
        principal = await info.context.require_principal()
        size = check_first(first)
        filters = CounterpartyFilters(
            kind=kind.value if kind else None,
            search=search.strip() if search and search.strip() else None,
            include_archived=include_archived,
            after=cursors.decode(after),
        )
        found = await queries.counterparties_page(
            info.context.ledger, principal, filters, limit=size + 1
        )
        for c in found:
            info.context.loaders.receivables.counterparties.prime(c.id, c)
        return build_connection(
            [types.Counterparty.from_domain(c) for c in found[:size]],
            has_next=len(found) > size,
            had_cursor=after is not None,
            cursor_of=lambda c: cursors.encode(c.source.name, c.source.id),
        )

    @strawberry.field(permission_classes=READ)
    async def counterparty(self, info: Info, id: strawberry.ID) -> types.Counterparty | None:
        await info.context.require_principal()
        found = await info.context.loaders.receivables.counterparties.load(ids.counterparty(id))
        return types.Counterparty.from_domain(found) if found else None

    @strawberry.field(
        description="Charges, latest due first; filters combine. `status`: OPEN (something "
        "left to pay now), PAID, VOID.",
        permission_classes=READ,
    )
    async def charges(
        self,
        info: Info,
        counterparty_id: strawberry.ID | None = None,
        status: domain.ChargeStatus | None = None,
        kind: domain.ChargeKind | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
        building_id: strawberry.ID | None = None,
        lease_id: strawberry.ID | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[types.Charge]:
        principal = await info.context.require_principal()
        size = check_first(first)
        filters = ChargeFilters(
            counterparty_id=ids.counterparty(counterparty_id) if counterparty_id else None,
            lease_id=ids.maybe(lease_id, "Lease", "leaseId"),
            kind=kind.value if kind else None,
            status=status.value if status else None,
            due_from=due_from,
            due_to=due_to,
            building=str(ids.of(building_id, "Building", "buildingId")) if building_id else None,
            after=cursors.dated(after),
        )
        found = await queries.charges_page(info.context.ledger, principal, filters, limit=size + 1)
        return build_connection(
            [types.Charge.from_domain(c) for c in found[:size]],
            has_next=len(found) > size,
            had_cursor=after is not None,
            cursor_of=lambda c: cursors.encode(c.source.due_on.isoformat(), c.source.id),
        )

    @strawberry.field(
        description="Payments, latest first; filters combine.", permission_classes=READ
    )
    async def payments(
        self,
        info: Info,
        counterparty_id: strawberry.ID | None = None,
        status: domain.PaymentStatus | None = None,
        from_: MaybeFrom = None,
        to: date | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[types.Payment]:
        principal = await info.context.require_principal()
        size = check_first(first)
        filters = PaymentFilters(
            counterparty_id=ids.counterparty(counterparty_id) if counterparty_id else None,
            status=status.value if status else None,
            from_day=from_,
            to_day=to,
            after=cursors.dated(after),
        )
        found = await queries.payments_page(info.context.ledger, principal, filters, limit=size + 1)
        return build_connection(
            [types.Payment.from_domain(p) for p in found[:size]],
            has_next=len(found) > size,
            had_cursor=after is not None,
            cursor_of=lambda p: cursors.encode(p.source.received_on.isoformat(), p.source.id),
        )

    @strawberry.field(
        description="Open charges at the end of `asOf` by days past due (current, 1-30, "
        "31-60, 61-90, over 90), per group and in total, per currency; the buckets sum to the "
        "total open amount.",
        permission_classes=READ,
    )
    async def aging(
        self,
        info: Info,
        as_of: date | None = None,
        group_by: types.AgingGroupBy = types.AgingGroupBy.COUNTERPARTY,
    ) -> types.Aging:
        principal = await info.context.require_principal()
        day = as_of or info.context.ledger.clock().date()
        found = await reports.aging(info.context.ledger, principal, day, group_by.value)
        return types.Aging.from_report(found, _KEY_TYPES[group_by])

    @strawberry.field(permission_classes=READ)
    async def statement_of_account(
        self, info: Info, counterparty_id: strawberry.ID, from_: From, to: date
    ) -> types.StatementOfAccount | None:
        principal = await info.context.require_principal()
        try:
            found = await reports.statement_of_account(
                info.context.ledger, principal, ids.counterparty(counterparty_id), from_, to
            )
        except DomainError as error:
            if error.code == "NOT_FOUND":
                return None
            raise _argument_error(error) from None
        return types.StatementOfAccount.from_domain(found)
