"""DataLoaders, created fresh for every request (and every subscription event)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

from strawberry.dataloader import DataLoader

from fiscus.domain.identity import Organization, User
from fiscus.domain.ledger import Account, JournalEntry, JournalLine
from fiscus.domain.marketdata import Instrument
from fiscus.resolvers.analytics.loaders import AnalyticsLoaders
from fiscus.resolvers.portfolios.loaders import PortfolioLoaders
from fiscus.schema.context import Context
from fiscus.services.identity import queries
from fiscus.services.ledger import queries as ledger
from fiscus.services.marketdata import queries as marketdata
from fiscus.services.marketdata.live import LiveQuote


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
