"""The portfolios' DataLoaders (``info.context.loaders.portfolios``), created fresh per
request: each batches every portfolio a request touches into one read (holdings, books,
transaction pages), so statement counts do not grow with rows or portfolios."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from strawberry.dataloader import DataLoader

from fiscus.domain.portfolios.portfolio import Portfolio
from fiscus.persistence.repositories.portfolio_rows import StoredTransaction
from fiscus.schema.portfolios.records import PortfolioBooks, TransactionsPage
from fiscus.services.portfolios import pricing, queries, valuation

NIL = UUID(int=0)


def _by_id(portfolio: Portfolio) -> UUID:
    return portfolio.id


class PortfolioLoaders:
    def __init__(self, context: Any) -> None:
        self._context = context
        self.portfolio: DataLoader[UUID, Portfolio | None] = DataLoader(self._load_portfolios)
        self.holdings: DataLoader[Portfolio, list[valuation.ValuedHolding]] = DataLoader(
            self._load_holdings, cache_key_fn=_by_id
        )
        self.books: DataLoader[Portfolio, PortfolioBooks] = DataLoader(
            self._load_books, cache_key_fn=_by_id
        )
        self.transaction: DataLoader[UUID, StoredTransaction | None] = DataLoader(
            self._load_transactions
        )
        self.transactions: DataLoader[TransactionsPage, list[StoredTransaction]] = DataLoader(
            self._load_pages
        )

    def prime(self, portfolios: Sequence[Portfolio]) -> None:
        for portfolio in portfolios:
            self.portfolio.prime(portfolio.id, portfolio)

    async def _principal(self) -> Any:
        return await self._context.principal()

    async def _load_portfolios(self, ids: Sequence[UUID]) -> list[Portfolio | None]:
        principal = await self._principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.portfolios_by_ids(self._context.portfolios, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_holdings(
        self, portfolios: Sequence[Portfolio]
    ) -> list[list[valuation.ValuedHolding]]:
        principal = await self._principal()
        if principal is None:
            return [[] for _ in portfolios]
        found = await valuation.valued_holdings(self._context.portfolios, principal, portfolios)
        return [found.get(p.id, []) for p in portfolios]

    async def _load_books(self, portfolios: Sequence[Portfolio]) -> list[PortfolioBooks]:
        principal = await self._principal()
        ctx = self._context.portfolios
        history = await queries.histories(ctx, principal, [p.id for p in portfolios])
        books = await queries.books(ctx, principal, portfolios, history)
        return [
            PortfolioBooks(
                books[p.id],
                {s.transaction.id: s.transaction.instrument_id for s in history[p.id]},
            )
            for p in portfolios
        ]

    async def _load_transactions(self, ids: Sequence[UUID]) -> list[StoredTransaction | None]:
        principal = await self._principal()
        if principal is None:
            return [None] * len(ids)
        found = await queries.transactions_by_ids(self._context.portfolios, principal, ids)
        return [found.get(i) for i in ids]

    async def _load_pages(self, keys: Sequence[TransactionsPage]) -> list[list[StoredTransaction]]:
        """One statement per distinct set of filters (and one for the symbols named)."""
        principal = await self._principal()
        ctx = self._context.portfolios
        symbols = {k.symbol for k in keys if k.symbol}
        instruments: dict[str, Any] = {}
        if symbols:
            async with ctx.reading(principal.org_id, principal.user_id) as reads:
                instruments = await pricing.instruments_by_symbols(reads, symbols)
        groups: dict[tuple[Any, ...], list[TransactionsPage]] = defaultdict(list)
        for key in keys:
            groups[(key.symbol, key.types, key.from_day, key.to_day, key.after, key.limit)].append(
                key
            )
        found: dict[TransactionsPage, list[StoredTransaction]] = {}
        for group in groups.values():
            first = group[0]
            ids: list[UUID] = []
            if first.symbol:
                instrument = instruments.get(first.symbol)
                ids = [instrument.id if instrument else NIL]
            pages = await queries.transactions_pages(
                ctx,
                principal,
                [k.portfolio_id for k in group],
                first.filters(ids),
                limit=first.limit,
            )
            for key in group:
                found[key] = pages.get(key.portfolio_id, [])
        return [found[k] for k in keys]
