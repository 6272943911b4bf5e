"""Portfolio reads (``reads.portfolios``): portfolios, the holdings cache, transactions (as
raw rows for replays, or as pages), saved CSV mappings, and the price and FX histories a
valuation needs. Every statement filters by ``org_id`` explicitly as well as through RLS;
lists are bound as one array parameter, so a page of portfolios costs one statement per
kind of thing asked, however many portfolios."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    DateTime,
    Uuid,
    any_,
    bindparam,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY

from fiscus.domain.portfolios.model import CostBasisMethod
from fiscus.domain.portfolios.portfolio import Portfolio
from fiscus.persistence.models.portfolios import PortfolioRow, PortfolioTransactionRow
from fiscus.persistence.reads.compiled import ReadQuery
from fiscus.persistence.reads.repositories import ReadRepository
from fiscus.persistence.repositories.portfolio_rows import (
    HISTORY_ARRAY,
    TRANSACTION_COLUMNS,
    Holding,
    StoredTransaction,
    stored_of,
)

P = PortfolioRow
T = PortfolioTransactionRow
_PORTFOLIO_COLUMNS = (
    P.id,
    P.org_id,
    P.name,
    P.base_currency,
    P.cost_basis_method,
    P.allow_margin,
    P.cash,
    P.archived,
    P.created_at,
)
_ORG: Any = bindparam("org_id", type_=Uuid())
_IDS = bindparam("ids", type_=ARRAY(Uuid()))
_PORTFOLIOS_PAGE = ReadQuery.of(
    select(*_PORTFOLIO_COLUMNS)
    .where(
        P.org_id == _ORG,
        or_(bindparam("archived", type_=Boolean()), P.archived.is_(False)),
        tuple_(P.created_at, P.id)
        > tuple_(
            bindparam("after_at", type_=DateTime(timezone=True)),
            bindparam("after_id", type_=Uuid()),
        ),
    )
    .order_by(P.created_at, P.id)
    .limit(bindparam("limit"))
)
_PORTFOLIOS_BY_IDS = ReadQuery.of(
    select(*_PORTFOLIO_COLUMNS).where(P.org_id == _ORG, P.id == any_(_IDS))
)
_ALL_PORTFOLIOS = ReadQuery.of(
    select(*_PORTFOLIO_COLUMNS)
    .where(P.org_id == _ORG, P.archived.is_(False))
    .order_by(P.created_at, P.id)
)
_HOLDINGS = ReadQuery.of(
    text("""
    SELECT portfolio_id, instrument_id, quantity, cost_basis, cost_local
    FROM portfolio_holdings
    WHERE org_id = :org_id AND portfolio_id = ANY(CAST(:ids AS uuid[]))
    ORDER BY portfolio_id, instrument_id""")
)
_HISTORIES = ReadQuery.of(
    text(f"""
    SELECT portfolio_id, count(*), json_agg({HISTORY_ARRAY})::text FROM portfolio_transactions
    WHERE org_id = :org_id AND portfolio_id = ANY(CAST(:ids AS uuid[]))
    GROUP BY portfolio_id""")  # noqa: S608 -- a constant fragment, no input
)
_TRANSACTIONS_BY_IDS = ReadQuery.of(
    select(*TRANSACTION_COLUMNS).where(T.org_id == _ORG, T.id == any_(_IDS))
)
# Newest first, keyset on (trade_date, seq), every filter optional; one page per portfolio
# asked for, in one statement.
_TRANSACTIONS_PAGES = ReadQuery.of(
    text("""
    SELECT t.id, t.seq, t.type, t.trade_date, t.currency, t.fx_rate, t.instrument_id,
           t.quantity, t.price, t.fee, t.amount, t.ratio, t.lots, t.transferred_lots,
           t.reference, t.note, t.portfolio_id, t.transfer_id
    FROM unnest(CAST(:ids AS uuid[])) AS p(id)
    CROSS JOIN LATERAL (
      SELECT * FROM portfolio_transactions x
      WHERE x.org_id = :org_id AND x.portfolio_id = p.id
        AND (cardinality(CAST(:instrument_ids AS uuid[])) = 0
             OR x.instrument_id = ANY(CAST(:instrument_ids AS uuid[])))
        AND (cardinality(CAST(:types AS text[])) = 0 OR x.type = ANY(CAST(:types AS text[])))
        AND x.trade_date >= :from_day AND x.trade_date <= :to_day
        AND (x.trade_date, x.seq) < (CAST(:after_date AS date), CAST(:after_seq AS bigint))
      ORDER BY x.trade_date DESC, x.seq DESC
      LIMIT :limit) AS t
    ORDER BY t.portfolio_id, t.trade_date DESC, t.seq DESC""")
)
_CSV_MAPPINGS = ReadQuery.of(
    text("""
    SELECT id, name, mapping, created_at FROM portfolio_csv_mappings
    WHERE org_id = :org_id ORDER BY name""")
)
# Closes in (start, end] plus the newest close on or before start (last observation carried
# forward into the range), per instrument: one statement per table asked about.
_GLOBAL_HISTORY = ReadQuery.of(
    text("""
    SELECT w.id, p.day, p.close
    FROM unnest(CAST(:ids AS uuid[])) AS w(id)
    CROSS JOIN LATERAL (
      (SELECT day, close FROM daily_prices
       WHERE instrument_id = w.id AND day <= :start ORDER BY day DESC LIMIT 1)
      UNION ALL
      (SELECT day, close FROM daily_prices
       WHERE instrument_id = w.id AND day > :start AND day <= :end)) AS p
    ORDER BY w.id, p.day""")
)
_MANUAL_HISTORY = ReadQuery.of(
    text("""
    SELECT w.id, p.day, p.close
    FROM unnest(CAST(:ids AS uuid[])) AS w(id)
    CROSS JOIN LATERAL (
      (SELECT day, close FROM manual_prices
       WHERE org_id = :org_id AND instrument_id = w.id AND day <= :start
       ORDER BY day DESC LIMIT 1)
      UNION ALL
      (SELECT day, close FROM manual_prices
       WHERE org_id = :org_id AND instrument_id = w.id AND day > :start AND day <= :end))
      AS p
    ORDER BY w.id, p.day""")
)
_CURRENCY_HISTORY = ReadQuery.of(
    text("""
    SELECT i.symbol, p.day, p.close
    FROM instruments i
    CROSS JOIN LATERAL (
      (SELECT day, close FROM daily_prices
       WHERE instrument_id = i.id AND day <= :start ORDER BY day DESC LIMIT 1)
      UNION ALL
      (SELECT day, close FROM daily_prices
       WHERE instrument_id = i.id AND day > :start AND day <= :end)) AS p
    WHERE i.symbol = ANY(CAST(:symbols AS text[])) AND i.kind = 'currency'
    ORDER BY i.symbol, p.day""")
)
_NO_DAY = date(9999, 12, 31)


def portfolio_of(row: Any) -> Portfolio:
    return Portfolio(
        row["id"],
        row["org_id"],
        row["name"],
        row["base_currency"].strip(),
        CostBasisMethod(row["cost_basis_method"]),
        row["allow_margin"],
        Decimal(row["cash"]),
        row["archived"],
        row["created_at"],
    )


@dataclass(frozen=True, slots=True)
class TransactionFilters:
    instrument_ids: Sequence[UUID] = ()
    """Empty: every instrument (the service turns a symbol into ids; an unknown symbol
    becomes the nil id, which matches nothing)."""
    types: Sequence[str] = ()
    from_day: date | None = None
    to_day: date | None = None
    after: tuple[date, int] | None = None


@dataclass(frozen=True, slots=True)
class CsvMapping:
    id: UUID
    name: str
    mapping: dict[str, Any]


Series = dict[Any, list[tuple[date, Decimal]]]


class PortfolioReads(ReadRepository):
    async def portfolios_page(
        self, *, after: tuple[Any, UUID] | None, limit: int, archived: bool = False
    ) -> list[Portfolio]:
        after_at, after_id = after or (datetime(1, 1, 1, tzinfo=UTC), UUID(int=0))
        rows = await self.fetch(
            _PORTFOLIOS_PAGE,
            org_id=self.org_id,
            archived=archived,
            after_at=after_at,
            after_id=after_id,
            limit=limit,
        )
        return [portfolio_of(r) for r in rows]

    async def portfolios_by_ids(self, ids: Sequence[UUID]) -> list[Portfolio]:
        if not ids:
            return []
        rows = await self.fetch(_PORTFOLIOS_BY_IDS, org_id=self.org_id, ids=list(ids))
        return [portfolio_of(r) for r in rows]

    async def all_portfolios(self) -> list[Portfolio]:
        return [portfolio_of(r) for r in await self.fetch(_ALL_PORTFOLIOS, org_id=self.org_id)]

    async def holdings(self, portfolio_ids: Sequence[UUID]) -> dict[UUID, list[Holding]]:
        found: dict[UUID, list[Holding]] = {p: [] for p in portfolio_ids}
        if not portfolio_ids:
            return found
        rows = await self.fetch(_HOLDINGS, org_id=self.org_id, ids=list(portfolio_ids))
        for r in rows:
            found[r[0]].append(Holding(r[1], Decimal(r[2]), Decimal(r[3]), Decimal(r[4])))
        return found

    async def history_texts(self, portfolio_ids: Sequence[UUID]) -> dict[UUID, tuple[int, str]]:
        """Each portfolio's transactions in replay order as (count, one JSON text), which
        ``stored_from_json`` decodes (big histories in a worker thread); portfolios with
        none are absent."""
        if not portfolio_ids:
            return {}
        rows = await self.fetch(_HISTORIES, org_id=self.org_id, ids=list(portfolio_ids))
        return {r[0]: (int(r[1]), str(r[2])) for r in rows}

    async def transactions_by_ids(self, ids: Sequence[UUID]) -> list[StoredTransaction]:
        if not ids:
            return []
        rows = await self.fetch(_TRANSACTIONS_BY_IDS, org_id=self.org_id, ids=list(ids))
        return [stored_of(r) for r in rows]

    async def transactions_pages(
        self, portfolio_ids: Sequence[UUID], filters: TransactionFilters, *, limit: int
    ) -> dict[UUID, list[StoredTransaction]]:
        """A page of each portfolio's transactions (same filters and size for all)."""
        found: dict[UUID, list[StoredTransaction]] = {p: [] for p in portfolio_ids}
        if not portfolio_ids:
            return found
        after_date, after_seq = filters.after or (_NO_DAY, 2**62)
        rows = await self.fetch(
            _TRANSACTIONS_PAGES,
            org_id=self.org_id,
            ids=list(portfolio_ids),
            instrument_ids=list(filters.instrument_ids),
            types=list(filters.types),
            from_day=filters.from_day or date(1, 1, 1),
            to_day=filters.to_day or _NO_DAY,
            after_date=after_date,
            after_seq=after_seq,
            limit=limit,
        )
        for r in rows:
            stored = stored_of(r)
            found[stored.portfolio_id].append(stored)
        return found

    async def csv_mappings(self) -> list[CsvMapping]:
        rows = await self.fetch(_CSV_MAPPINGS, org_id=self.org_id)
        return [CsvMapping(r["id"], r["name"], dict(r["mapping"])) for r in rows]

    async def price_histories(
        self, global_ids: Sequence[UUID], manual_ids: Sequence[UUID], start: date, end: date
    ) -> Series:
        """Each instrument's closes in (start, end], led by its newest close on or before
        ``start`` (oldest first)."""
        found: Series = defaultdict(list)
        if global_ids:
            for r in await self.fetch(_GLOBAL_HISTORY, ids=list(global_ids), start=start, end=end):
                found[r[0]].append((r[1], Decimal(r[2])))
        if manual_ids:
            for r in await self.fetch(
                _MANUAL_HISTORY, ids=list(manual_ids), start=start, end=end, org_id=self.org_id
            ):
                found[r[0]].append((r[1], Decimal(r[2])))
        return dict(found)

    async def currency_histories(self, symbols: Sequence[str], start: date, end: date) -> Series:
        """Closes of CURRENCY pair symbols, like ``price_histories``."""
        found: Series = defaultdict(list)
        if symbols:
            for r in await self.fetch(
                _CURRENCY_HISTORY, symbols=list(symbols), start=start, end=end
            ):
                found[r[0]].append((r[1], Decimal(r[2])))
        return dict(found)
