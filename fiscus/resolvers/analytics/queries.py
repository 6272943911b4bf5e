"""Analytics queries: one backtest, the organization's backtests (newest first), the
analytics settings, and ``node(id:)`` for Backtest. Results are reports: ``REPORTS_READ``,
which viewers have too (they see backtests, not the portfolio a run was compared with:
``Backtest.portfolioComparison`` needs ``PORTFOLIO_READ``)."""

from __future__ import annotations

from uuid import UUID

import strawberry
from strawberry.types import Info

from fiscus.domain.identity import Permission, Principal
from fiscus.schema.analytics.backtests import AnalyticsSettings, Backtest
from fiscus.schema.permissions import requires
from fiscus.schema.relay import (
    Connection,
    build_connection,
    check_first,
    decode_cursor,
    encode_cursor,
    parse_global_id,
)
from fiscus.services.analytics import risk_free
from fiscus.services.backtesting import queries

READ = [requires(Permission.REPORTS_READ)]
NIL = UUID(int=0)


def backtest_id(raw: str, field: str = "id") -> UUID:
    """A malformed id, or one of another type, is the nil UUID: nothing has it."""
    return parse_global_id(raw, "Backtest", field=field) or NIL


def _cursor(item: Backtest) -> str:
    return encode_cursor(item.record.created_at, item.record.id)


async def resolve_backtest_node(info: Info, principal: Principal, key: UUID) -> Backtest | None:
    if not principal.can(Permission.REPORTS_READ):
        return None
    found = await info.context.loaders.analytics.backtest.load(key)
    return Backtest.from_domain(found) if found else None


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(permission_classes=READ)
    async def backtest(self, info: Info, id: strawberry.ID) -> Backtest | None:
        await info.context.require_principal()
        found = await info.context.loaders.analytics.backtest.load(backtest_id(id))
        return Backtest.from_domain(found) if found else None

    @strawberry.field(
        description="The organization's backtests, newest first.", permission_classes=READ
    )
    async def backtests(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Backtest]:
        principal = await info.context.require_principal()
        size = check_first(first)
        found = await queries.backtests_page(
            info.context.portfolios, principal, before=decode_cursor(after), limit=size + 1
        )
        info.context.loaders.analytics.prime(found)
        items = [Backtest.from_domain(b) for b in found[:size]]
        return build_connection(
            items, has_next=len(found) > size, had_cursor=after is not None, cursor_of=_cursor
        )

    @strawberry.field(
        description="The organization's risk-free rate (unset: 0).", permission_classes=READ
    )
    async def analytics_settings(self, info: Info) -> AnalyticsSettings:
        principal = await info.context.require_principal()
        found = await risk_free.settings(info.context.portfolios, principal)
        return AnalyticsSettings(
            risk_free_rate=found.risk_free_rate, risk_free_symbol=found.risk_free_symbol
        )
