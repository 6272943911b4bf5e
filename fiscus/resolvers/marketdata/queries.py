"""Market-data queries: instruments (search), one instrument by symbol, FX rates. Readable
by every member; manual instruments only inside their organization."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain.errors import DomainError
from fiscus.domain.identity import Principal
from fiscus.domain.marketdata import InstrumentKind
from fiscus.schema import marketdata as types
from fiscus.schema.permissions import Authenticated
from fiscus.schema.relay import Connection, check_first
from fiscus.services.marketdata import queries


@strawberry.type
class MarketDataQuery:
    @strawberry.field(
        description="Instruments whose symbol or name starts with `search`, by symbol.",
        permission_classes=[Authenticated],
    )
    async def instruments(
        self,
        info: Info,
        search: str | None = None,
        kinds: list[InstrumentKind] | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[types.Instrument]:
        principal = await info.context.require_principal()
        page = await queries.search_instruments(
            info.context.marketdata,
            principal,
            search=search,
            kinds=kinds,
            first=check_first(first),
            after=types.decode_instrument_cursor(after),
        )
        return types.instruments_connection(page, had_cursor=after is not None)

    @strawberry.field(
        description="The instrument a symbol names for the caller (their organization's "
        "manual instruments first); null when none.",
        permission_classes=[Authenticated],
    )
    async def instrument(self, info: Info, symbol: str) -> types.Instrument | None:
        principal = await info.context.require_principal()
        found = await queries.instrument_by_symbol(info.context.marketdata, principal, symbol)
        return types.Instrument.from_domain(found) if found else None

    @strawberry.field(
        description="How many `to` one `from` buys on `date` (today when omitted): a direct "
        "pair, its inverse, or crossed through USD.",
        permission_classes=[Authenticated],
    )
    async def fx_rate(
        self,
        info: Info,
        from_: Annotated[str, strawberry.argument(name="from")],
        to: str,
        date: date | None = None,
    ) -> types.FxRate:
        principal = await info.context.require_principal()
        try:
            answer = await queries.fx_rate(
                info.context.marketdata, principal, base=from_, quote=to, day=date
            )
        except DomainError as error:
            raise GraphQLError(
                error.message,
                extensions={"code": error.code, "argument": error.field or "from"},
            ) from None
        return types.FxRate.from_domain(answer)


async def resolve_instrument_node(
    info: Info, principal: Principal, key: UUID
) -> types.Instrument | None:
    """``node(id:)`` of an Instrument: global ones, or the caller's organization's own."""
    found = await info.context.loaders.instruments.load(key)
    return types.Instrument.from_domain(found) if found else None
