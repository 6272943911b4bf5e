"""Global ids of portfolio inputs. An id that is malformed or names another type becomes the
nil UUID, which nothing has: the service then answers NOT_FOUND, exactly like another
organization's id."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from fiscus.domain.portfolios.model import LotPick
from fiscus.schema.portfolios import inputs
from fiscus.schema.relay import parse_global_id
from fiscus.services.portfolios.rows import TransactionInput

NIL = UUID(int=0)


def portfolio_id(raw: str, field: str = "portfolioId") -> UUID:
    return parse_global_id(raw, "Portfolio", field=field) or NIL


def transaction_id(raw: str) -> UUID:
    return parse_global_id(raw, "PortfolioTransaction", field="transactionId") or NIL


def mapping_id(raw: str) -> UUID:
    return parse_global_id(raw, "PortfolioCsvMapping", field="mappingId") or NIL


def picks(raw: Sequence[inputs.LotPickInput] | None) -> list[LotPick]:
    return [LotPick(p.lot_id, p.quantity) for p in raw or ()]


def rows(raw: Sequence[inputs.PortfolioTransactionInput]) -> list[TransactionInput]:
    return [
        TransactionInput(
            type=r.type,
            date=r.date,
            symbol=r.symbol,
            quantity=r.quantity,
            price=r.price,
            fee=r.fee,
            amount=r.amount,
            ratio=r.ratio,
            lots=picks(r.lots),
            reference=r.reference,
            note=r.note,
            currency=r.currency,
            reinvested=r.reinvested,
        )
        for r in raw
    ]
