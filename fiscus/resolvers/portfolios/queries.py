"""Portfolio queries: the organization's portfolios (connection), one portfolio, saved CSV
mappings, the organization's combined performance, and ``node(id:)`` for Portfolio and
PortfolioTransaction. Reads need ``PORTFOLIO_READ``."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain.identity import Permission, Principal
from fiscus.persistence.reads.portfolios import CsvMapping as StoredMapping
from fiscus.resolvers.lookahead import asks_for
from fiscus.resolvers.portfolios import ids
from fiscus.schema.analytics import risk as analytics
from fiscus.schema.permissions import requires
from fiscus.schema.portfolios import inputs as results
from fiscus.schema.portfolios.records import PortfolioTransaction
from fiscus.schema.portfolios.types import From, Portfolio, PortfolioPerformance, answer
from fiscus.schema.relay import Connection, build_connection, check_first, to_global_id
from fiscus.services.portfolios import marks, queries, valuation
from fiscus.services.portfolios.csv_mapping import CsvMapping

READ = [requires(Permission.PORTFOLIO_READ)]


def _cursor(item: Portfolio) -> str:
    raw = f"{item.source.created_at.isoformat()}|{item.source.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    try:
        at, _, raw = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(at), UUID(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphQLError(
            "Invalid cursor.", extensions={"code": "BAD_USER_INPUT", "argument": "after"}
        ) from None


def csv_mapping_type(stored: StoredMapping) -> results.CsvMapping:
    mapping = CsvMapping.from_json(stored.mapping)
    columns = mapping.columns
    return results.CsvMapping(
        id=to_global_id("PortfolioCsvMapping", stored.id),
        name=stored.name,
        date=columns.get("date", ""),
        type=columns.get("type", ""),
        symbol=columns.get("symbol"),
        quantity=columns.get("quantity"),
        price=columns.get("price"),
        fee=columns.get("fee"),
        amount=columns.get("amount"),
        ratio=columns.get("ratio"),
        reference=columns.get("reference"),
        note=columns.get("note"),
        currency=columns.get("currency"),
        date_format=mapping.date_format,
        decimal_separator=mapping.decimal_separator,
        type_values=[
            results.CsvTypeValue(value=k, type=v) for k, v in sorted(mapping.type_values.items())
        ],
    )


@strawberry.type(description="Every portfolio that is not archived, in one currency.")
class OrganizationPortfolioSummary:
    currency: str
    portfolios: int
    performance: PortfolioPerformance | None
    risk = analytics.organization_risk()
    benchmark = analytics.organization_benchmark()


async def resolve_portfolio_node(
    info: Info, principal: Principal, type_name: str, key: UUID
) -> Portfolio | PortfolioTransaction | None:
    if not principal.can(Permission.PORTFOLIO_READ):
        return None
    if type_name == "Portfolio":
        found = await info.context.loaders.portfolios.portfolio.load(key)
        return Portfolio.from_domain(found) if found else None
    if type_name == "PortfolioTransaction":
        stored = await info.context.loaders.portfolios.transaction.load(key)
        return PortfolioTransaction.from_domain(stored) if stored else None
    return None


@strawberry.type
class PortfolioQuery:
    @strawberry.field(
        description="The organization's portfolios, oldest first.", permission_classes=READ
    )
    async def portfolios(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        include_archived: bool = False,
    ) -> Connection[Portfolio]:
        principal = await info.context.require_principal()
        size = check_first(first)
        loaders = info.context.loaders.portfolios
        if asks_for(info, "holdings"):
            # The dashboard: the page and every portfolio's priced holdings in one read.
            found, marked = await marks.page_valuations(
                info.context.portfolios,
                principal,
                after=_decode(after),
                limit=size + 1,
                archived=include_archived,
            )
            loaders.holdings.prime_many({p: marked[p.id] for p in found[:size]})
        else:
            found = await queries.portfolios_page(
                info.context.portfolios,
                principal,
                after=_decode(after),
                limit=size + 1,
                archived=include_archived,
            )
        loaders.prime(found)
        items = [Portfolio.from_domain(p) for p in found[:size]]
        return build_connection(
            items, has_next=len(found) > size, had_cursor=after is not None, cursor_of=_cursor
        )

    @strawberry.field(permission_classes=READ)
    async def portfolio(self, info: Info, id: strawberry.ID) -> Portfolio | None:
        await info.context.require_principal()
        found = await info.context.loaders.portfolios.portfolio.load(ids.portfolio_id(id))
        return Portfolio.from_domain(found) if found else None

    @strawberry.field(description="Saved CSV column mappings, by name.", permission_classes=READ)
    async def portfolio_csv_mappings(self, info: Info) -> list[results.CsvMapping]:
        principal = await info.context.require_principal()
        found = await queries.csv_mappings(info.context.portfolios, principal)
        return [csv_mapping_type(m) for m in found]

    @strawberry.field(
        description="Performance of all portfolios together, in `currency` (default: the "
        "first portfolio's base currency), converted at each day's FX rate.",
        permission_classes=READ,
    )
    async def organization_portfolio_summary(
        self,
        info: Info,
        period: valuation.Period | None = None,
        from_: From = None,
        to: date | None = None,
        currency: str | None = None,
    ) -> OrganizationPortfolioSummary:
        principal = await info.context.require_principal()
        found = await answer(
            lambda: valuation.organization_summary(
                info.context.portfolios,
                principal,
                period=period,
                from_day=from_,
                to_day=to,
                currency=currency,
            )
        )
        return OrganizationPortfolioSummary(
            currency=found.currency,
            portfolios=found.portfolios,
            performance=PortfolioPerformance.from_domain(found.performance, found.currency)
            if found.performance
            else None,
        )
