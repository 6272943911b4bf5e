"""DataLoaders, created fresh for every request (and every subscription event)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import cached_property
from uuid import UUID

from strawberry.dataloader import DataLoader

from fiscus.domain.attachments import Attachment
from fiscus.domain.budgets import Budget, BudgetStatus
from fiscus.domain.debts import Debt, DebtPayment
from fiscus.domain.goals import Goal, GoalProgress
from fiscus.domain.identity import Organization, User
from fiscus.domain.imports.records import BankImport, BankLine, ImportRow
from fiscus.domain.ledger import Account, JournalEntry, JournalLine
from fiscus.domain.marketdata import Instrument
from fiscus.resolvers.analytics.loaders import AnalyticsLoaders
from fiscus.resolvers.portfolios.loaders import PortfolioLoaders
from fiscus.resolvers.properties.loaders import PropertiesLoaders
from fiscus.resolvers.receivables.loaders import ReceivablesLoaders
from fiscus.schema.context import Context
from fiscus.services.attachments import files
from fiscus.services.budgets import status as budget_status
from fiscus.services.debts import queries as debts
from fiscus.services.goals import progress as goal_progress
from fiscus.services.identity import queries
from fiscus.services.imports import queries as imports
from fiscus.services.imports.queries import BalanceCheck
from fiscus.services.ledger import queries as ledger
from fiscus.services.marketdata import queries as marketdata
from fiscus.services.marketdata.live import LiveQuote

ImportRowsKey = tuple[UUID, tuple[str, ...] | None, int, int]
"""(import, outcomes or None for all, after line, limit)"""


class Loaders:
    def __init__(self, context: Context) -> None:
        self._context = context
        self.users: DataLoader[UUID, User | None] = DataLoader(self._load_users)
        self.organizations: DataLoader[UUID, Organization | None] = DataLoader(
            self._load_organizations
        )
        self.instruments: DataLoader[UUID, Instrument | None] = DataLoader(self._load_instruments)
        self.latest_prices: DataLoader[Instrument, marketdata.LatestPrice | None] = DataLoader(
            self._load_latest_prices, cache_key_fn=lambda instrument: instrument.id
        )
        self.live_quotes: DataLoader[str, LiveQuote | None] = DataLoader(self._load_live_quotes)

        self.ledger_accounts: DataLoader[UUID, Account | None] = DataLoader(
            self._load_ledger_accounts
        )
        self.journal_entries: DataLoader[UUID, JournalEntry | None] = DataLoader(
            self._load_journal_entries
        )
        self.entry_lines: DataLoader[UUID, list[JournalLine]] = DataLoader(self._load_entry_lines)
        self.account_balances: DataLoader[tuple[UUID, date], Decimal] = DataLoader(
            self._load_account_balances
        )
        self.portfolios = PortfolioLoaders(context)
        self.analytics = AnalyticsLoaders(context)

        self.debts: DataLoader[UUID, Debt | None] = DataLoader(self._load_debts)
        self.debt_payments: DataLoader[UUID, list[DebtPayment]] = DataLoader(
            self._load_debt_payments
        )
        self.budgets: DataLoader[UUID, Budget | None] = DataLoader(self._load_budgets)
        self.budget_statuses: DataLoader[tuple[Budget, date], BudgetStatus] = DataLoader(
            self._load_budget_statuses, cache_key_fn=lambda key: (key[0].id, key[1])
        )
        self.goals: DataLoader[UUID, Goal | None] = DataLoader(self._load_goals)
        self.goal_progress: DataLoader[Goal, GoalProgress] = DataLoader(
            self._load_goal_progress, cache_key_fn=lambda goal: goal.id
        )
        self.attachments: DataLoader[UUID, Attachment | None] = DataLoader(self._load_attachments)
        self.entry_attachments: DataLoader[UUID, list[Attachment]] = DataLoader(
            self._load_entry_attachments
        )

        self.bank_imports: DataLoader[UUID, BankImport | None] = DataLoader(self._load_imports)
        self.bank_lines: DataLoader[UUID, BankLine | None] = DataLoader(self._load_bank_lines)
        self.import_problems: DataLoader[UUID, list[ImportRow]] = DataLoader(
            self._load_import_problems
        )
        self.import_rows: DataLoader[ImportRowsKey, list[ImportRow]] = DataLoader(
            self._load_import_rows
        )
        self.balance_checks: DataLoader[BankImport, BalanceCheck | None] = DataLoader(
            self._load_balance_checks, cache_key_fn=lambda item: item.id
        )

    @cached_property
    def receivables(self) -> ReceivablesLoaders:
        return ReceivablesLoaders(self._context)

    @cached_property
    def properties(self) -> PropertiesLoaders:
        return PropertiesLoaders(self._context)

    def prime_caller(self, user: User, organization: Organization) -> None:
        """The request's authentication read these already (``confirm_caller``)."""
        self.users.prime(user.id, user)
        self.organizations.prime(organization.id, organization)

    async def _load_live_quotes(self, symbols: Sequence[str]) -> list[LiveQuote | None]:
        found = await marketdata.live_quotes(self._context.marketdata, symbols)
        return [found.get(symbol) for symbol in symbols]

    async def _load_users(self, ids: Sequence[UUID]) -> list[User | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.users_by_id(self._context.reads, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_organizations(self, ids: Sequence[UUID]) -> list[Organization | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.organizations_by_id(self._context.reads, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_instruments(self, ids: Sequence[UUID]) -> list[Instrument | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await marketdata.instruments_by_ids(self._context.marketdata, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_latest_prices(
        self, instruments: Sequence[Instrument]
    ) -> list[marketdata.LatestPrice | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(instruments)
        found = await marketdata.latest_prices(self._context.marketdata, principal, instruments)
        return [found.get(i.id) for i in instruments]

    async def _load_ledger_accounts(self, ids: Sequence[UUID]) -> list[Account | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await ledger.accounts_by_ids(self._context.ledger, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_journal_entries(self, ids: Sequence[UUID]) -> list[JournalEntry | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await ledger.entries_by_ids(self._context.ledger, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_entry_lines(self, ids: Sequence[UUID]) -> list[list[JournalLine]]:
        principal = await self._context.principal()
        if principal is None:
            return [[] for _ in ids]
        found = await ledger.lines_of_entries(self._context.ledger, principal, ids)
        return [found.get(i, []) for i in ids]

    async def _load_account_balances(self, keys: Sequence[tuple[UUID, date]]) -> list[Decimal]:
        """One statement per distinct ``asOf`` among the keys."""
        principal = await self._context.principal()
        if principal is None:
            return [Decimal(0)] * len(keys)
        by_day: dict[date, dict[UUID, Decimal]] = {}
        for day in sorted({day for _, day in keys}):
            ids = [account for account, d in keys if d == day]
            by_day[day] = await ledger.balances_as_of(self._context.ledger, principal, ids, day)
        return [by_day[day].get(account, Decimal(0)) for account, day in keys]

    # Debts, budgets, goals, receipts.

    async def _load_debts(self, ids: Sequence[UUID]) -> list[Debt | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await debts.debts_by_ids(self._context.planning, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_debt_payments(self, ids: Sequence[UUID]) -> list[list[DebtPayment]]:
        principal = await self._context.principal()
        if principal is None:
            return [[] for _ in ids]
        found = await debts.payments_of(self._context.planning, principal, ids)
        return [found.get(i, []) for i in ids]

    async def _load_budgets(self, ids: Sequence[UUID]) -> list[Budget | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await budget_status.budgets_by_ids(self._context.planning, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_budget_statuses(
        self, keys: Sequence[tuple[Budget, date]]
    ) -> list[BudgetStatus]:
        """One statement per distinct month among the keys, whatever the number of budgets."""
        principal = await self._context.principal()
        assert principal is not None
        ctx = self._context.planning
        today = ctx.clock().date()
        by_month: dict[date, dict[UUID, BudgetStatus]] = {}
        for month in sorted({m for _, m in keys}):
            budgets = list({b.id: b for b, m in keys if m == month}.values())
            async with ctx.reading(principal.org_id, principal.user_id) as reads:
                by_month[month] = await budget_status.statuses_in(reads, budgets, month, today)
        return [by_month[m][b.id] for b, m in keys]

    async def _load_goals(self, ids: Sequence[UUID]) -> list[Goal | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await goal_progress.goals_by_ids(self._context.planning, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_goal_progress(self, goals: Sequence[Goal]) -> list[GoalProgress]:
        principal = await self._context.principal()
        assert principal is not None
        ctx = self._context.planning
        async with ctx.reading(principal.org_id, principal.user_id) as reads:
            found = await goal_progress.progress_in(reads, goals, ctx.clock().date())
        return [found[g.id] for g in goals]

    async def _load_attachments(self, ids: Sequence[UUID]) -> list[Attachment | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await files.by_ids(self._context.planning, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_entry_attachments(self, ids: Sequence[UUID]) -> list[list[Attachment]]:
        principal = await self._context.principal()
        if principal is None:
            return [[] for _ in ids]
        found = await files.of_entries(self._context.planning, principal, ids)
        return [found.get(i, []) for i in ids]
    # Bank imports.

    async def _load_imports(self, ids: Sequence[UUID]) -> list[BankImport | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await imports.imports_by_ids(self._context.imports, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_bank_lines(self, ids: Sequence[UUID]) -> list[BankLine | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(ids)
        found = await imports.lines_by_ids(self._context.imports, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_import_problems(self, ids: Sequence[UUID]) -> list[list[ImportRow]]:
        principal = await self._context.principal()
        if principal is None:
            return [[] for _ in ids]
        found = await imports.problems(self._context.imports, principal, ids, limit=200)
        return [found.get(i, []) for i in ids]

    async def _load_import_rows(self, keys: Sequence[ImportRowsKey]) -> list[list[ImportRow]]:
        """One statement per key (a page of one import's rows)."""
        principal = await self._context.principal()
        if principal is None:
            return [[] for _ in keys]
        return [
            await imports.import_rows(
                self._context.imports,
                principal,
                import_id,
                outcomes=list(outcomes) if outcomes else None,
                after_line=after,
                limit=limit,
            )
            for import_id, outcomes, after, limit in keys
        ]

    async def _load_balance_checks(self, items: Sequence[BankImport]) -> list[BalanceCheck | None]:
        principal = await self._context.principal()
        if principal is None:
            return [None] * len(items)
        return [await imports.balance_check(self._context.imports, principal, i) for i in items]
