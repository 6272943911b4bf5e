"""The read repositories' base, and ``Reads``: each area's read repositories, reached lazily
(``reads.identity``), all on the scope's one connection."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg

from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.repositories.base import TenantScoped
from fiscus.persistence.statements import note_statement

if TYPE_CHECKING:
    from fiscus.persistence.reads.analytics import AnalyticsReads
    from fiscus.persistence.reads.attachments import AttachmentsReads
    from fiscus.persistence.reads.budgets import BudgetsReads, GoalsReads
    from fiscus.persistence.reads.debts import DebtsReads
    from fiscus.persistence.reads.identity import IdentityReads
    from fiscus.persistence.reads.imports import ImportsReads
    from fiscus.persistence.reads.ledger import LedgerReads
    from fiscus.persistence.reads.marketdata import MarketDataReads
    from fiscus.persistence.reads.portfolio_marks import PortfolioMarkReads
    from fiscus.persistence.reads.portfolios import PortfolioReads
    from fiscus.persistence.reads.properties import PropertiesReads
    from fiscus.persistence.reads.receivables import ReceivablesReads


class ReadRepository(TenantScoped):
    """SQL lives here, as ``ReadQuery`` constants; methods return domain objects."""

    def __init__(self, connection: asyncpg.Connection, org_id: UUID | None) -> None:
        super().__init__(org_id)
        self._connection = connection

    async def fetch(self, query: ReadQuery, **values: Any) -> Sequence[asyncpg.Record]:
        note_statement(query.sql)
        rows: list[asyncpg.Record] = await self._connection.fetch(
            query.sql, *query.arguments(values)
        )
        return rows

    async def fetchrow(self, query: ReadQuery, **values: Any) -> asyncpg.Record | None:
        note_statement(query.sql)
        row: asyncpg.Record | None = await self._connection.fetchrow(
            query.sql, *query.arguments(values)
        )
        return row

    async def fetchval(self, query: ReadQuery, **values: Any) -> Any:
        note_statement(query.sql)
        return await self._connection.fetchval(query.sql, *query.arguments(values))


class Reads:
    def __init__(self, connection: asyncpg.Connection, org_id: UUID | None) -> None:
        self._connection = connection
        self._org_id = org_id

    @cached_property
    def identity(self) -> IdentityReads:
        from fiscus.persistence.reads.identity import IdentityReads

        return IdentityReads(self._connection, self._org_id)

    @cached_property
    def marketdata(self) -> MarketDataReads:
        from fiscus.persistence.reads.marketdata import MarketDataReads

        return MarketDataReads(self._connection, self._org_id)

    @cached_property
    def imports(self) -> ImportsReads:
        from fiscus.persistence.reads.imports import ImportsReads

        return ImportsReads(self._connection, self._org_id)

    @cached_property
    def ledger(self) -> LedgerReads:
        from fiscus.persistence.reads.ledger import LedgerReads

        return LedgerReads(self._connection, self._org_id)

    @cached_property
    def portfolios(self) -> PortfolioReads:
        from fiscus.persistence.reads.portfolios import PortfolioReads

        return PortfolioReads(self._connection, self._org_id)

    @cached_property
    def portfolio_marks(self) -> PortfolioMarkReads:
        from fiscus.persistence.reads.portfolio_marks import PortfolioMarkReads

        return PortfolioMarkReads(self._connection, self._org_id)

    @cached_property
    def debts(self) -> DebtsReads:
        from fiscus.persistence.reads.debts import DebtsReads

        return DebtsReads(self._connection, self._org_id)

    @cached_property
    def budgets(self) -> BudgetsReads:
        from fiscus.persistence.reads.budgets import BudgetsReads

        return BudgetsReads(self._connection, self._org_id)

    @cached_property
    def goals(self) -> GoalsReads:
        from fiscus.persistence.reads.budgets import GoalsReads

        return GoalsReads(self._connection, self._org_id)

    @cached_property
    def attachments(self) -> AttachmentsReads:
        from fiscus.persistence.reads.attachments import AttachmentsReads

        return AttachmentsReads(self._connection, self._org_id)

    @cached_property
    def receivables(self) -> ReceivablesReads:
        from fiscus.persistence.reads.receivables import ReceivablesReads

        return ReceivablesReads(self._connection, self._org_id)

    @cached_property
    def properties(self) -> PropertiesReads:
        from fiscus.persistence.reads.properties import PropertiesReads

        return PropertiesReads(self._connection, self._org_id)

    @cached_property
    def analytics(self) -> AnalyticsReads:
        from fiscus.persistence.reads.analytics import AnalyticsReads

        return AnalyticsReads(self._connection, self._org_id)
