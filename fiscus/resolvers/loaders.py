"""DataLoaders, created fresh for every request (and every subscription event)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

from strawberry.dataloader import DataLoader

from fiscus.domain.identity import Organization, User
from fiscus.domain.imports.records import BankImport, BankLine, ImportRow
from fiscus.domain.ledger import Account, JournalEntry, JournalLine
from fiscus.domain.marketdata import Instrument
from fiscus.schema.context import Context
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
