"""Budget and goal queries (``budgets:read``): connections, single objects, ``node``."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain.identity import Permission, Principal
from fiscus.resolvers.ledger.ids import NIL
from fiscus.schema import budgets as types
from fiscus.schema.permissions import requires
from fiscus.schema.relay import (
    Connection,
    Node,
    build_connection,
    check_first,
    decode_cursor,
    encode_cursor,
    parse_global_id,
)
from fiscus.services.budgets import status
from fiscus.services.goals import progress

READ = [requires(Permission.BUDGETS_READ)]


def budget_id(raw: str) -> UUID:
    return parse_global_id(raw, "Budget", field="budgetId") or NIL


def goal_id(raw: str) -> UUID:
    return parse_global_id(raw, "Goal", field="goalId") or NIL


async def resolve_budget_node(
    info: Info, principal: Principal, type_name: str, key: UUID
) -> Node | None:
    if not principal.can(Permission.BUDGETS_READ):
        return None
    if type_name == "Budget":
        found = await info.context.loaders.budgets.load(key)
        return types.Budget.from_domain(found) if found else None
    goal = await info.context.loaders.goals.load(key)
    return types.Goal.from_domain(goal) if goal else None


def _budget_cursor(budget: types.Budget) -> str:
    assert budget.source.created_at is not None
    return encode_cursor(budget.source.created_at, budget.source.id)


def _goal_cursor(goal: types.Goal) -> str:
    g = goal.source
    assert g.created_at is not None
    raw = f"{g.priority}|{g.created_at.isoformat()}|{g.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_goal_cursor(cursor: str | None) -> tuple[int, datetime, UUID] | None:
    if cursor is None:
        return None
    try:
        priority, at, raw = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return int(priority), datetime.fromisoformat(at), UUID(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphQLError(
            "Invalid cursor.", extensions={"code": "BAD_USER_INPUT", "argument": "after"}
        ) from None


@strawberry.type
class BudgetsQuery:
    @strawberry.field(description="Budgets, oldest first.", permission_classes=READ)
    async def budgets(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[types.Budget]:
        principal = await info.context.require_principal()
        size = check_first(first)
        found = await status.budgets_page(
            info.context.planning, principal, after=decode_cursor(after), limit=size + 1
        )
        return build_connection(
            [types.Budget.from_domain(b) for b in found[:size]],
            has_next=len(found) > size,
            had_cursor=after is not None,
            cursor_of=_budget_cursor,
        )

    @strawberry.field(permission_classes=READ)
    async def budget(self, info: Info, id: strawberry.ID) -> types.Budget | None:
        principal = await info.context.require_principal()
        found = await resolve_budget_node(info, principal, "Budget", budget_id(id))
        return found if isinstance(found, types.Budget) else None

    @strawberry.field(description="Goals by priority, then age.", permission_classes=READ)
    async def goals(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[types.Goal]:
        principal = await info.context.require_principal()
        size = check_first(first)
        found = await progress.goals_page(
            info.context.planning, principal, after=_decode_goal_cursor(after), limit=size + 1
        )
        return build_connection(
            [types.Goal.from_domain(g) for g in found[:size]],
            has_next=len(found) > size,
            had_cursor=after is not None,
            cursor_of=_goal_cursor,
        )

    @strawberry.field(permission_classes=READ)
    async def goal(self, info: Info, id: strawberry.ID) -> types.Goal | None:
        principal = await info.context.require_principal()
        found = await resolve_budget_node(info, principal, "Goal", goal_id(id))
        return found if isinstance(found, types.Goal) else None
