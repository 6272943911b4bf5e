"""Portfolio reads for the API and DataLoaders, and the proof that the holdings cache is
right (``verify_holdings_cache``). Reads run on the read path in the caller's tenant
context; every function answers for many portfolios in a fixed number of statements.

What a replay derives (lots, realized gains, income) is computed per request from the
stored transactions (``books``): one statement for all asked portfolios, replays off the
event loop for big histories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from uuid import UUID

from fiscus.domain.identity import Principal
from fiscus.domain.portfolios.engine import replay
from fiscus.domain.portfolios.model import Books
from fiscus.domain.portfolios.portfolio import Portfolio
from fiscus.persistence.reads.portfolios import CsvMapping, TransactionFilters
from fiscus.persistence.repositories.portfolio_rows import (
    Holding,
    StoredTransaction,
    stored_from_json,
)
from fiscus.services.portfolios.context import PortfolioContext
from fiscus.services.portfolios.replaying import holdings_of

__all__ = ["TransactionFilters"]


async def portfolios_page(
    ctx: PortfolioContext,
    principal: Principal,
    *,
    after: tuple[object, UUID] | None,
    limit: int,
    archived: bool = False,
) -> list[Portfolio]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.portfolios.portfolios_page(after=after, limit=limit, archived=archived)


async def all_portfolios(ctx: PortfolioContext, principal: Principal) -> list[Portfolio]:
    """Every portfolio that is not archived, oldest first."""
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.portfolios.all_portfolios()


async def portfolios_by_ids(
    ctx: PortfolioContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Portfolio]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return {p.id: p for p in await reads.portfolios.portfolios_by_ids(ids)}


async def cached_holdings(
    ctx: PortfolioContext, principal: Principal, portfolio_ids: Sequence[UUID]
) -> dict[UUID, list[Holding]]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.portfolios.holdings(portfolio_ids)


async def histories(
    ctx: PortfolioContext, principal: Principal, portfolio_ids: Sequence[UUID]
) -> dict[UUID, list[StoredTransaction]]:
    """Each portfolio's transactions in replay order (one statement)."""
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        texts = await reads.portfolios.history_texts(portfolio_ids)
    found: dict[UUID, list[StoredTransaction]] = {p: [] for p in portfolio_ids}
    for portfolio_id, (count, text) in texts.items():
        found[portfolio_id] = await ctx.offload(count, partial(stored_from_json, text))
    return found


async def books(
    ctx: PortfolioContext,
    principal: Principal,
    portfolios: Sequence[Portfolio],
    history: dict[UUID, list[StoredTransaction]] | None = None,
) -> dict[UUID, Books]:
    """A replay of each portfolio's stored history (allowing a stored history that a
    rule would refuse today: the books as recorded)."""
    if history is None:
        history = await histories(ctx, principal, [p.id for p in portfolios])
    found: dict[UUID, Books] = {}
    for portfolio in portfolios:
        rows = [s.transaction for s in history.get(portfolio.id, [])]
        found[portfolio.id] = await ctx.offload(
            len(rows),
            lambda rows=rows, p=portfolio: replay(  # type: ignore[misc]
                rows, method=p.cost_basis_method, allow_margin=True
            ),
        )
    return found


async def transactions_pages(
    ctx: PortfolioContext,
    principal: Principal,
    portfolio_ids: Sequence[UUID],
    filters: TransactionFilters,
    *,
    limit: int,
) -> dict[UUID, list[StoredTransaction]]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.portfolios.transactions_pages(portfolio_ids, filters, limit=limit)


async def transactions_by_ids(
    ctx: PortfolioContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, StoredTransaction]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return {s.transaction.id: s for s in await reads.portfolios.transactions_by_ids(ids)}


async def csv_mappings(ctx: PortfolioContext, principal: Principal) -> list[CsvMapping]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.portfolios.csv_mappings()


@dataclass(frozen=True, slots=True)
class CacheCheck:
    portfolio_id: UUID
    cached_cash: object
    replayed_cash: object
    cached: list[Holding]
    replayed: list[Holding]

    @property
    def sound(self) -> bool:
        return self.cached_cash == self.replayed_cash and self.cached == self.replayed


async def verify_holdings_cache(
    ctx: PortfolioContext, principal: Principal, portfolio_id: UUID
) -> CacheCheck:
    """Proves ``portfolio_holdings`` and ``portfolios.cash`` equal a fresh replay of the
    stored transactions (read in one snapshot)."""
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        (portfolio,) = await reads.portfolios.portfolios_by_ids([portfolio_id])
        cached = (await reads.portfolios.holdings([portfolio_id]))[portfolio_id]
        count, text = (await reads.portfolios.history_texts([portfolio_id])).get(
            portfolio_id, (0, "[]")
        )
    stored = await ctx.offload(count, lambda: stored_from_json(text))
    rows = [s.transaction for s in stored]
    fresh = await ctx.offload(
        len(rows),
        lambda: replay(rows, method=portfolio.cost_basis_method, allow_margin=True),
    )
    by_id = sorted(cached, key=lambda h: str(h.instrument_id))
    return CacheCheck(portfolio_id, portfolio.cash, fresh.cash, by_id, holdings_of(fresh))
