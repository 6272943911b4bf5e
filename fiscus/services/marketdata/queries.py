"""Read side of market data: what queries, DataLoaders and the streamer call. Reads run on
the read path in the caller's tenant context, so an organization sees global instruments
and its own manual ones, never another's."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager

from fiscus.domain.errors import ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.marketdata import Instrument, normalize_symbol
from fiscus.persistence.reads.repositories import Reads
from fiscus.services.marketdata.context import MarketDataContext


def normalized_symbols(symbols: Sequence[str]) -> list[str]:
    """Valid symbols, normalized and deduplicated in order; invalid ones are dropped (they
    can name nothing)."""
    found: dict[str, None] = {}
    for symbol in symbols:
        try:
            found[normalize_symbol(symbol)] = None
        except ValidationFailed:
            continue
    return list(found)


async def instruments_by_symbols(
    ctx: MarketDataContext, principal: Principal | None, symbols: Sequence[str]
) -> dict[str, Instrument]:
    """The instruments these symbols name, keyed by normalized symbol (absent: unknown).
    The caller's organization's manual instruments come first; without a principal (the
    streamer) only global instruments are visible."""
    wanted = normalized_symbols(symbols)
    if not wanted:
        return {}
    async with _tenant(ctx, principal) as reads:
        found = await reads.marketdata.instruments_by_symbols(wanted)
    return {i.symbol: i for i in found}


def _tenant(
    ctx: MarketDataContext, principal: Principal | None
) -> AbstractAsyncContextManager[Reads]:
    if principal is None:
        return ctx.reading()
    return ctx.reading(org_id=principal.org_id, user_id=principal.user_id)
