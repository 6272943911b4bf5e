"""Debt queries: the debts (connection), one debt, the payoff plan, ``node`` for Debt."""

from __future__ import annotations

from uuid import UUID

import strawberry
from strawberry.types import Info

from fiscus.domain.debts import BudgetBelowMinimums, DebtStatus, LumpSum, Strategy
from fiscus.domain.errors import DomainError
from fiscus.domain.identity import Permission, Principal
from fiscus.resolvers.ledger.ids import NIL
from fiscus.schema import debts as types
from fiscus.schema.errors import to_user_error
from fiscus.schema.permissions import requires
from fiscus.schema.relay import (
    Connection,
    build_connection,
    check_first,
    decode_cursor,
    encode_cursor,
    parse_global_id,
)
from fiscus.services.debts import planner, queries

READ = [requires(Permission.DEBTS_READ)]


def debt_id(raw: str, field: str = "debtId") -> UUID:
    return parse_global_id(raw, "Debt", field=field) or NIL


async def resolve_debt_node(info: Info, principal: Principal, key: UUID) -> types.Debt | None:
    if not principal.can(Permission.DEBTS_READ):
        return None
    found = await info.context.loaders.debts.load(key)
    return types.Debt.from_domain(found) if found else None


def _cursor(debt: types.Debt) -> str:
    assert debt.source.created_at is not None
    return encode_cursor(debt.source.created_at, debt.source.id)


@strawberry.type
class DebtsQuery:
    @strawberry.field(description="Debts, oldest first.", permission_classes=READ)
    async def debts(
        self,
        info: Info,
        status: DebtStatus | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[types.Debt]:
        principal = await info.context.require_principal()
        size = check_first(first)
        found = await queries.debts_page(
            info.context.planning,
            principal,
            status=status.value if status else None,
            after=decode_cursor(after),
            limit=size + 1,
        )
        for debt in found:
            info.context.loaders.debts.prime(debt.id, debt)
        return build_connection(
            [types.Debt.from_domain(d) for d in found[:size]],
            has_next=len(found) > size,
            had_cursor=after is not None,
            cursor_of=_cursor,
        )

    @strawberry.field(permission_classes=READ)
    async def debt(self, info: Info, id: strawberry.ID) -> types.Debt | None:
        principal = await info.context.require_principal()
        return await resolve_debt_node(info, principal, debt_id(id))

    @strawberry.field(
        description="One monthly budget for the debts (default: every active one): minimums "
        "first, the rest by strategy; per strategy the debt-free date, months, total "
        "interest and each debt's months. With extraPerMonth or lumpSums, a `what if` "
        "scenario side by side. A budget below the minimums: PayoffBudgetShortfallError.",
        permission_classes=READ,
    )
    async def payoff_plan(self, info: Info, input: types.PayoffPlanInput) -> types.PayoffPlanResult:
        principal = await info.context.require_principal()
        request = planner.PayoffRequest(
            monthly_budget=input.monthly_budget,
            strategies=tuple(input.strategies or (Strategy.AVALANCHE, Strategy.SNOWBALL)),
            debt_ids=tuple(debt_id(d, "debtIds") for d in input.debt_ids or ()),
            custom_order=tuple(debt_id(d, "customOrder") for d in input.custom_order or ()),
            extra_per_month=input.extra_per_month,
            lump_sums=tuple(LumpSum(x.date, x.amount) for x in input.lump_sums or ()),
            start=input.start_month,
        )

        try:
            plan = await planner.payoff_plan(info.context.planning, principal, request)
        except BudgetBelowMinimums as short:
            return types.shortfall_error(short)
        except DomainError as error:
            return to_user_error(error)  # type: ignore[return-value]
        return types.PayoffPlan.from_domain(plan)
