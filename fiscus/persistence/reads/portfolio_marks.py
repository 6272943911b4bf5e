"""Priced holdings (``reads.portfolio_marks``): the holdings cache of many portfolios with each
holding's instrument and its two newest stored closes, in ONE statement however many
portfolios and holdings. The dashboard and the live valuations read through it.

Instruments live in two tables (global ``instruments`` and the organization's
``manual_instruments``) and so do their prices; each holding takes its instrument from the
one that has it (ids are unique across both) and its closes from the matching price
table, one index probe each. Holdings of one instrument share one ``Instrument`` object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text

from fiscus.domain.marketdata import Instrument, InstrumentKind
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.repositories import ReadRepository

# Holdings priced as of :day: each cache row with its instrument, the instrument's newest
# close on or before :day and the close before that. Instruments and closes are looked up
# once per distinct instrument (60 for a 500-holding dashboard), not once per holding.
# ``{portfolios}`` selects the portfolios whose cache rows are priced.
_PRICED_CTES = """
    held AS (
      SELECT portfolio_id, instrument_id, quantity, cost_basis, cost_local
      FROM portfolio_holdings WHERE org_id = :org_id AND {portfolios}),
    distinct_instruments AS (SELECT DISTINCT instrument_id FROM held),
    marks AS MATERIALIZED (
      SELECT u.instrument_id, i.symbol, i.name, i.kind, i.currency, i.exchange, i.provider,
             i.provider_symbol, i.price_precision, i.org_id AS instrument_org_id,
             COALESCE(g.day, m.day) AS day, COALESCE(g.close, m.close) AS close,
             COALESCE(g.source, m.source) AS source,
             COALESCE(g.previous, m.previous) AS previous
      FROM distinct_instruments u
      LEFT JOIN LATERAL (
        SELECT id, symbol, name, kind, currency, exchange, provider, provider_symbol,
               price_precision, NULL::uuid AS org_id
        FROM instruments WHERE id = u.instrument_id
        UNION ALL
        SELECT id, symbol, name, kind, currency, exchange, NULL, NULL, price_precision, org_id
        FROM manual_instruments WHERE org_id = :org_id AND id = u.instrument_id
        LIMIT 1) AS i ON true
      LEFT JOIN LATERAL (
        SELECT d.day, d.close, d.source,
               (SELECT p.close FROM daily_prices p
                WHERE p.instrument_id = d.instrument_id AND p.day < d.day
                ORDER BY p.day DESC LIMIT 1) AS previous
        FROM daily_prices d
        WHERE i.id IS NOT NULL AND i.org_id IS NULL AND d.instrument_id = u.instrument_id
          AND d.day <= :day
        ORDER BY d.day DESC LIMIT 1) AS g ON true
      LEFT JOIN LATERAL (
        SELECT d.day, d.close, d.source,
               (SELECT p.close FROM manual_prices p
                WHERE p.org_id = :org_id AND p.instrument_id = d.instrument_id
                  AND p.day < d.day
                ORDER BY p.day DESC LIMIT 1) AS previous
        FROM manual_prices d
        WHERE i.org_id IS NOT NULL AND d.org_id = :org_id
          AND d.instrument_id = u.instrument_id AND d.day <= :day
        ORDER BY d.day DESC LIMIT 1) AS m ON true),
    priced AS (
      SELECT h.portfolio_id, h.quantity, h.cost_basis, h.cost_local, h.instrument_id,
             k.symbol, k.name, k.kind, k.currency, k.exchange, k.provider,
             k.provider_symbol, k.price_precision, k.instrument_org_id,
             k.day, k.close, k.source, k.previous
      FROM held h JOIN marks k ON k.instrument_id = h.instrument_id)"""
_PRICED_WIDTH = 18

# Holdings ordered by portfolio, then symbol (what a dashboard lists).
_PRICED_HOLDINGS_TEMPLATE = """
    WITH {ctes}
    SELECT * FROM priced ORDER BY portfolio_id, symbol, instrument_id"""
_PRICED_HOLDINGS = ReadQuery.of(
    text(
        _PRICED_HOLDINGS_TEMPLATE.format(
            ctes=_PRICED_CTES.format(portfolios="portfolio_id = ANY(CAST(:ids AS uuid[]))")
        )
    )
)
# A page of portfolios (``reads.portfolios.portfolios_page``'s) and their priced holdings:
# the page's columns lead each row, a portfolio without holdings has one row of NULLs after.
PAGE_COLUMNS = (
    "id",
    "org_id",
    "name",
    "base_currency",
    "cost_basis_method",
    "allow_margin",
    "cash",
    "archived",
    "created_at",
)
_PAGE_PRICED_TEMPLATE = """
    WITH page AS (
      SELECT id, org_id, name, base_currency, cost_basis_method, allow_margin, cash,
             archived, created_at
      FROM portfolios
      WHERE org_id = :org_id AND (:archived OR NOT archived)
        AND (created_at, id) > (:after_at, :after_id)
      ORDER BY created_at, id LIMIT :limit),
    {ctes}
    SELECT page.*, x.* FROM page
    LEFT JOIN priced x ON x.portfolio_id = page.id
    ORDER BY page.created_at, page.id, x.symbol, x.instrument_id"""
_PAGE_PRICED = ReadQuery.of(
    text(
        _PAGE_PRICED_TEMPLATE.format(
            ctes=_PRICED_CTES.format(portfolios="portfolio_id IN (SELECT id FROM page)")
        )
    )
)


@dataclass(frozen=True, slots=True)
class StoredMark:
    """The newest stored close on or before the day asked about, and the close before it."""

    day: date
    close: Decimal
    source: str
    previous: Decimal | None


@dataclass(frozen=True, slots=True)
class PricedHolding:
    portfolio_id: UUID
    instrument_id: UUID
    instrument: Instrument | None
    """None only if the instrument is gone (a holding keeps its id, not a foreign key)."""
    quantity: Decimal
    cost_basis: Decimal
    cost_local: Decimal
    mark: StoredMark | None
    """None when the instrument has no stored close on or before the day."""


PricedRows = tuple[Sequence[Any], ...]
"""One portfolio's priced rows, as read (hashable, comparable): records, or the priced part
of ``page_with_priced_rows``' records."""


class PortfolioMarkReads(ReadRepository):
    async def priced_rows(self, portfolio_ids: Sequence[UUID], day: date) -> dict[UUID, PricedRows]:
        """Every cached holding of these portfolios (by portfolio, symbol order) priced as
        of ``day``, as raw rows (``priced_holdings_of`` makes them domain objects); each
        asked-for portfolio has a tuple, maybe empty."""
        if not portfolio_ids:
            return {}
        rows = await self.fetch(
            _PRICED_HOLDINGS, org_id=self.org_id, ids=list(portfolio_ids), day=day
        )
        found: dict[UUID, list[Sequence[Any]]] = {p: [] for p in portfolio_ids}
        for r in rows:
            found[r[0]].append(r)
        return {p: tuple(rows_of) for p, rows_of in found.items()}

    async def page_with_priced_rows(
        self, *, after: tuple[Any, UUID] | None, limit: int, archived: bool, day: date
    ) -> list[tuple[Sequence[Any], PricedRows]]:
        """``reads.portfolios.portfolios_page`` and ``priced_rows`` of that page in ONE
        statement: each portfolio's row (``PAGE_COLUMNS``) with its priced rows."""
        after_at, after_id = after or (datetime(1, 1, 1, tzinfo=UTC), UUID(int=0))
        rows = await self.fetch(
            _PAGE_PRICED,
            org_id=self.org_id,
            archived=archived,
            after_at=after_at,
            after_id=after_id,
            limit=limit,
            day=day,
        )
        width = len(PAGE_COLUMNS)
        page: list[tuple[Sequence[Any], list[Sequence[Any]]]] = []
        for r in rows:
            if not page or page[-1][0][0] != r[0]:
                page.append((r[:width], []))
            if r[width] is not None:
                page[-1][1].append(r[width : width + _PRICED_WIDTH])
        return [(portfolio, tuple(priced)) for portfolio, priced in page]

    async def priced_holdings(
        self, portfolio_ids: Sequence[UUID], day: date
    ) -> dict[UUID, list[PricedHolding]]:
        found = await self.priced_rows(portfolio_ids, day)
        instruments: dict[UUID, Instrument] = {}
        return {p: priced_holdings_of(rows, instruments) for p, rows in found.items()}


def priced_holdings_of(
    rows: PricedRows, instruments: dict[UUID, Instrument] | None = None
) -> list[PricedHolding]:
    """Rows of ``priced_rows`` as domain objects; ``instruments`` shares one ``Instrument``
    per id across calls."""
    shared = {} if instruments is None else instruments
    holdings: list[PricedHolding] = []
    for r in rows:
        instrument = shared.get(r[4])
        if instrument is None and r[5] is not None:
            instrument = shared[r[4]] = Instrument(
                r[4], r[5], r[6], InstrumentKind(r[7]), r[8], r[9], r[10], r[11], r[12], r[13]
            )
        mark = None if r[14] is None else StoredMark(r[14], r[15], r[16], r[17])
        holdings.append(PricedHolding(r[0], r[4], instrument, r[1], r[2], r[3], mark))
    return holdings


def currencies_of(rows: PricedRows) -> set[str]:
    """The currencies of the rows' instruments."""
    return {r[8] for r in rows if r[8] is not None}
