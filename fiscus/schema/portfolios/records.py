"""Portfolio records as GraphQL types: transactions (a Relay node), lots, realized gains and
income, all derived from the stored transactions; nested instruments and transactions
come through the request's DataLoaders."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from fiscus.domain.portfolios import model as domain
from fiscus.persistence.repositories.portfolio_rows import StoredTransaction
from fiscus.schema.marketdata import Instrument
from fiscus.schema.relay import Node, to_global_id
from fiscus.services.portfolios.queries import TransactionFilters

strawberry.enum(domain.CostBasisMethod, name="CostBasisMethod")
strawberry.enum(domain.TransactionType, name="PortfolioTransactionType")
strawberry.enum(domain.Term, name="GainTerm")

_UNIT = Decimal(1).scaleb(-10)


async def _instrument(info: Info, instrument_id: object) -> Instrument | None:
    if instrument_id is None:
        return None
    found = await info.context.loaders.instruments.load(instrument_id)
    return Instrument.from_domain(found) if found else None


@strawberry.type
class LotPick:
    lot_id: str
    quantity: Decimal


@strawberry.type(description="A lot a TRANSFER_IN brought, with its own date and cost.")
class TransferredLot:
    acquired_on: date
    quantity: Decimal
    cost_basis: Decimal = strawberry.field(description="Receiving portfolio's base currency.")
    cost_local: Decimal = strawberry.field(description="The instrument's currency.")


@strawberry.type
class PortfolioTransaction(Node):
    id: strawberry.ID
    portfolio_id: strawberry.ID
    type: domain.TransactionType
    date: date
    currency: str = strawberry.field(description="Of price, fee and amount.")
    fx_rate: Decimal = strawberry.field(
        description="Base-currency units per unit of `currency` on the day (from market data)."
    )
    quantity: Decimal | None
    price: Decimal | None
    fee: Decimal
    amount: Decimal | None
    ratio: Decimal | None
    lots: list[LotPick]
    transferred_lots: list[TransferredLot]
    transfer_id: strawberry.ID | None = strawberry.field(
        description="Both legs of a transfer share it."
    )
    reference: str | None
    note: str | None
    recorded_order: str = strawberry.field(
        description="Same-day transactions replay in this order (a database sequence)."
    )
    source: strawberry.Private[StoredTransaction]

    @classmethod
    def from_domain(cls, stored: StoredTransaction) -> PortfolioTransaction:
        t = stored.transaction
        return cls(
            id=to_global_id("PortfolioTransaction", t.id),
            portfolio_id=to_global_id("Portfolio", stored.portfolio_id),
            type=t.type,
            date=t.date,
            currency=t.currency,
            fx_rate=t.fx_rate,
            quantity=t.quantity,
            price=t.price,
            fee=t.fee,
            amount=t.amount,
            ratio=t.ratio,
            lots=[LotPick(lot_id=p.lot_id, quantity=p.quantity) for p in t.lots],
            transferred_lots=[
                TransferredLot(
                    acquired_on=x.acquired_on,
                    quantity=x.quantity,
                    cost_basis=x.cost_basis,
                    cost_local=x.cost_local,
                )
                for x in t.transferred_lots
            ],
            transfer_id=to_global_id("Transfer", stored.transfer_id)
            if stored.transfer_id
            else None,
            reference=t.reference,
            note=t.note,
            recorded_order=str(t.seq),
            source=stored,
        )

    @strawberry.field
    def reinvested(self) -> bool:
        """A DIVIDEND paid in units (a new lot) rather than cash."""
        t = self.source.transaction
        return t.type is domain.TransactionType.DIVIDEND and t.quantity is not None

    @strawberry.field
    async def instrument(self, info: Info) -> Instrument | None:
        return await _instrument(info, self.source.transaction.instrument_id)


@strawberry.type(description="A tax lot, derived by replaying the transactions.")
class Lot:
    id: str = strawberry.field(
        description="The acquiring transaction's id (`<uuid>`, `:n` for a transfer's lots): "
        "what a SPECIFIC sell names."
    )
    acquired_on: date
    quantity: Decimal = strawberry.field(description="Open: what is left; closed: consumed.")
    cost_per_unit: Decimal
    cost_basis: Decimal
    open: bool
    instrument_id: strawberry.Private[UUID | None]

    @strawberry.field
    async def instrument(self, info: Info) -> Instrument | None:
        return await _instrument(info, self.instrument_id)


@strawberry.type
class ConsumedLot:
    lot_id: str
    acquired_on: date
    quantity: Decimal
    cost_basis: Decimal


async def _transaction(info: Info, transaction_id: object) -> PortfolioTransaction | None:
    found = await info.context.loaders.portfolios.transaction.load(transaction_id)
    return PortfolioTransaction.from_domain(found) if found else None


@strawberry.type(description="One sale (two rows when it mixed short and long lots).")
class RealizedGain:
    date: date
    quantity: Decimal
    proceeds: Decimal
    fee: Decimal
    cost_basis: Decimal
    gain: Decimal = strawberry.field(description="proceeds - fee - costBasis.")
    term: domain.Term
    lots: list[ConsumedLot]
    source: strawberry.Private[domain.RealizedGain]

    @classmethod
    def from_domain(cls, g: domain.RealizedGain) -> RealizedGain:
        return cls(
            date=g.date,
            quantity=g.quantity,
            proceeds=g.proceeds,
            fee=g.fee,
            cost_basis=g.cost_basis,
            gain=g.gain,
            term=g.term,
            lots=[
                ConsumedLot(
                    lot_id=x.lot_id,
                    acquired_on=x.acquired_on,
                    quantity=x.quantity,
                    cost_basis=x.cost_basis,
                )
                for x in g.lots
            ],
            source=g,
        )

    @strawberry.field
    async def transaction(self, info: Info) -> PortfolioTransaction | None:
        return await _transaction(info, self.source.transaction_id)

    @strawberry.field
    async def instrument(self, info: Info) -> Instrument | None:
        return await _instrument(info, self.source.instrument_id)


@strawberry.type
class IncomeEntry:
    type: domain.TransactionType
    date: date
    amount: Decimal = strawberry.field(description="Gross, base currency.")
    reinvested: bool
    source: strawberry.Private[domain.IncomeItem]

    @strawberry.field
    async def transaction(self, info: Info) -> PortfolioTransaction | None:
        return await _transaction(info, self.source.transaction_id)

    @strawberry.field
    async def instrument(self, info: Info) -> Instrument | None:
        return await _instrument(info, self.source.instrument_id)


def transaction_cursor(item: PortfolioTransaction) -> str:
    t = item.source.transaction
    return base64.urlsafe_b64encode(f"{t.date.isoformat()}|{t.seq}".encode()).decode()


def decode_transaction_cursor(cursor: str | None) -> tuple[date, int] | None:
    if cursor is None:
        return None
    try:
        day, _, seq = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return date.fromisoformat(day), int(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphQLError(
            "Invalid cursor.", extensions={"code": "BAD_USER_INPUT", "argument": "after"}
        ) from None


def closed_lots(replayed: PortfolioBooks, still_open: set[str]) -> list[Lot]:
    """Lots fully consumed by sales and transfers out (the quantities and cost consumed)."""
    books = replayed.books
    consumed = [lot for g in books.realized for lot in g.lots]
    consumed += [lot for out_lots in books.closed_lots_for.values() for lot in out_lots]
    taken: dict[str, tuple[date, Decimal, Decimal]] = {}
    for lot in consumed:
        if lot.lot_id in still_open:
            continue
        seen = taken.get(lot.lot_id)
        taken[lot.lot_id] = (
            lot.acquired_on,
            lot.quantity + (seen[1] if seen else 0),
            lot.cost_basis + (seen[2] if seen else 0),
        )
    return [
        Lot(
            id=lot_id,
            acquired_on=acquired,
            quantity=quantity,
            cost_per_unit=(cost / quantity).quantize(_UNIT) if quantity else cost,
            cost_basis=cost,
            open=False,
            instrument_id=replayed.instrument_of(lot_id),
        )
        for lot_id, (acquired, quantity, cost) in sorted(
            taken.items(), key=lambda item: (item[1][0], item[0])
        )
    ]


@dataclass(frozen=True, slots=True)
class PortfolioBooks:
    """A portfolio's replay, and which instrument each transaction is about."""

    books: domain.Books
    instruments: dict[UUID, UUID | None]

    def instrument_of(self, lot_id: str) -> UUID | None:
        try:
            return self.instruments.get(UUID(lot_id.split(":", 1)[0]))
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class TransactionsPage:
    """What one ``Portfolio.transactions`` asks (a DataLoader key: equal asks share)."""

    portfolio_id: UUID
    symbol: str | None
    types: tuple[str, ...]
    from_day: date | None
    to_day: date | None
    after: tuple[date, int] | None
    limit: int

    def filters(self, instrument_ids: Sequence[UUID]) -> TransactionFilters:
        return TransactionFilters(
            instrument_ids=list(instrument_ids),
            types=list(self.types),
            from_day=self.from_day,
            to_day=self.to_day,
            after=self.after,
        )


@strawberry.type(description="One sale (a row per term when a sale mixed short and long lots).")
class CapitalGainsRow:
    sale_date: date
    quantity: Decimal
    acquired: str = strawberry.field(
        description="The lots' acquisition date (YYYY-MM-DD), or VARIOUS."
    )
    proceeds: Decimal
    cost_basis: Decimal
    fee: Decimal
    gain: Decimal
    term: domain.Term
    transaction_id: strawberry.Private[UUID]
    instrument_id: strawberry.Private[UUID]

    @strawberry.field
    async def transaction(self, info: Info) -> PortfolioTransaction | None:
        return await _transaction(info, self.transaction_id)

    @strawberry.field
    async def instrument(self, info: Info) -> Instrument | None:
        return await _instrument(info, self.instrument_id)


@strawberry.type
class CapitalGainsReport:
    tax_year: int
    currency: str
    rows: list[CapitalGainsRow]
    short_term_total: Decimal
    long_term_total: Decimal
    total: Decimal
    proceeds_total: Decimal
    cost_total: Decimal

    @classmethod
    def from_domain(cls, report: Any, currency: str) -> CapitalGainsReport:
        return cls(
            tax_year=report.tax_year,
            currency=currency,
            rows=[
                CapitalGainsRow(
                    sale_date=r.sale_date,
                    quantity=r.quantity,
                    acquired=r.acquired if isinstance(r.acquired, str) else r.acquired.isoformat(),
                    proceeds=r.proceeds,
                    cost_basis=r.cost_basis,
                    fee=r.fee,
                    gain=r.gain,
                    term=r.term,
                    transaction_id=r.transaction_id,
                    instrument_id=r.instrument_id,
                )
                for r in report.rows
            ],
            short_term_total=report.short_total,
            long_term_total=report.long_total,
            total=report.total,
            proceeds_total=report.proceeds_total,
            cost_total=report.cost_total,
        )
