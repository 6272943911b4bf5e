"""Editing and deleting one transaction. The portfolio's history is replayed with the change
(every later row recomputed); a change that breaks any row -- the edited one, or a later
sell that would then sell more than is held -- is refused with nothing written. The cache
is rewritten and transfers cascade (``workspace``) in the same transaction.

An edit names only the fields it changes (omitted: unchanged; an empty ``reference`` or
``note`` clears it). The legs of a transfer keep their instrument, date and quantity (edit
``note`` or ``reference`` only); deleting either leg deletes the transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import ErrorCode, FieldIssue, NotFound, RuleViolation, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.portfolios.model import LotPick, Transaction, TransactionType
from fiscus.domain.portfolios.portfolio import Portfolio
from fiscus.persistence.repositories.portfolio_rows import StoredTransaction
from fiscus.services.portfolios import pricing
from fiscus.services.portfolios.changes import explain_rows, record_change
from fiscus.services.portfolios.context import PortfolioContext
from fiscus.services.portfolios.portfolios import portfolio_of
from fiscus.services.portfolios.rows import (
    Issues,
    TransactionInput,
    draft,
    needed_currencies,
    own_field,
    resolve,
)
from fiscus.services.portfolios.workspace import Workspace

_LEG_FIELDS = ("type", "date", "symbol", "quantity", "price", "fee", "amount", "ratio", "lots")


@dataclass(frozen=True, slots=True)
class TransactionChanges:
    type: TransactionType | None = None
    date: date | None = None
    symbol: str | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    fee: Decimal | None = None
    amount: Decimal | None = None
    ratio: Decimal | None = None
    lots: list[LotPick] | None = None
    reference: str | None = None
    note: str | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class Edited:
    portfolio: Portfolio
    transaction: StoredTransaction


def _merged(
    current: Transaction, symbol: str | None, changes: TransactionChanges
) -> TransactionInput:
    return TransactionInput(
        type=changes.type or current.type,
        date=changes.date or current.date,
        symbol=changes.symbol if changes.symbol is not None else symbol,
        quantity=changes.quantity if changes.quantity is not None else current.quantity,
        price=changes.price if changes.price is not None else current.price,
        fee=changes.fee if changes.fee is not None else current.fee,
        amount=changes.amount if changes.amount is not None else current.amount,
        ratio=changes.ratio if changes.ratio is not None else current.ratio,
        lots=changes.lots if changes.lots is not None else current.lots,
        reference=changes.reference if changes.reference is not None else current.reference,
        note=changes.note if changes.note is not None else current.note,
        currency=changes.currency
        if changes.currency is not None
        else (None if symbol else current.currency),
    )


async def _locate(work: Workspace, transaction_id: UUID) -> StoredTransaction:
    """The row, read again once its portfolio is locked (it may have changed meanwhile)."""
    stored = await work.uow.portfolios.transaction(transaction_id)
    if stored is None:
        raise NotFound("No such transaction.", field="transactionId")
    await work.open(stored.portfolio_id)
    locked = await work.uow.portfolios.transaction(transaction_id)
    if locked is None:
        raise NotFound("No such transaction.", field="transactionId")
    return locked


async def update_transaction(
    ctx: PortfolioContext,
    principal: Principal,
    transaction_id: UUID,
    changes: TransactionChanges,
) -> Edited:
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        work = Workspace(ctx, uow, now, principal.user_id)
        stored = await _locate(work, transaction_id)
        portfolio_id = stored.portfolio_id
        row = work.row(portfolio_id)
        current = stored.transaction
        if stored.transfer_id is not None:
            moved = [n for n in _LEG_FIELDS if getattr(changes, n) is not None]
            if moved:
                raise RuleViolation(
                    ErrorCode.TRANSFER_LEG,
                    "A transfer's legs keep their instrument, date and quantity: delete the "
                    "transfer and record it again.",
                    moved[0],
                )
        async with ctx.reading(principal.org_id, principal.user_id) as reads:
            symbol = None
            if current.instrument_id is not None:
                known = await pricing.instruments_by_ids(reads, [current.instrument_id])
                symbol = known[current.instrument_id].symbol if known else None
            merged = _merged(current, symbol, changes)
            issues = Issues(own_field)
            parsed = draft(merged, 0, issues, transaction_id=current.id, seq=current.seq)
            issues.raise_any()
            assert parsed is not None
            instruments = await pricing.instruments_by_symbols(
                reads, [parsed.symbol] if parsed.symbol else []
            )
            fx = await pricing.fx_table(
                reads,
                row.base_currency.strip(),
                needed_currencies([parsed], instruments),
                parsed.transaction.date,
                parsed.transaction.date,
            )
        (edited,) = resolve(
            [parsed],
            instruments=instruments,
            fx=fx,
            base_currency=row.base_currency.strip(),
            name=own_field,
        )
        if stored.transfer_id is not None:  # only the note or the reference changed
            edited = replace(current, note=edited.note, reference=edited.reference)
        if edited.reference and edited.reference != current.reference:
            if await uow.portfolios.existing_references(portfolio_id, [edited.reference]):
                raise ValidationFailed(
                    [
                        FieldIssue(
                            "reference",
                            ErrorCode.DUPLICATE_REFERENCE,
                            f"Reference {edited.reference} is already recorded in this portfolio.",
                        )
                    ]
                )
        changed = replace(stored, transaction=edited)
        work.replace(portfolio_id, changed)
        await work.settle(
            explain_rows({current.id: 0}, own_field, fallback="transactionId", names={})
        )
        await work.write()
        await record_change(
            uow,
            principal,
            action="portfolio.transaction_updated",
            portfolio_ids=work.touched(),
            at=now,
            details={
                "portfolio_id": str(portfolio_id),
                "type": edited.type.value,
                "date": edited.date.isoformat(),
                "reference": edited.reference,
            },
            subject_type="portfolio_transaction",
            subject_id=current.id,
        )
        cash = work.outcome(portfolio_id).cash
        await uow.commit()
    return Edited(replace(portfolio_of(row), cash=cash), changed)


async def delete_transaction(
    ctx: PortfolioContext, principal: Principal, transaction_id: UUID
) -> Portfolio:
    """Deletes the row (and the other leg of a transfer); answers its portfolio as it is
    after the deletion."""
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        work = Workspace(ctx, uow, now, principal.user_id)
        stored = await _locate(work, transaction_id)
        portfolio_id = stored.portfolio_id
        row = work.row(portfolio_id)
        removals: dict[UUID, set[UUID]] = {portfolio_id: {transaction_id}}
        if stored.transfer_id is not None:
            for leg in await uow.portfolios.transfer_legs([stored.transfer_id]):
                await work.open(leg.portfolio_id)
                removals.setdefault(leg.portfolio_id, set()).add(leg.transaction.id)
        for owner, ids in removals.items():
            work.remove(owner, ids)
        await work.settle(explain_rows({}, own_field, fallback="transactionId", names={}))
        await work.write()
        tx = stored.transaction
        await record_change(
            uow,
            principal,
            action="portfolio.transaction_deleted",
            portfolio_ids=work.touched(),
            at=now,
            details={
                "portfolio_id": str(portfolio_id),
                "type": tx.type.value,
                "date": tx.date.isoformat(),
                "reference": tx.reference,
                "transfer_id": str(stored.transfer_id) if stored.transfer_id else None,
            },
            subject_type="portfolio_transaction",
            subject_id=transaction_id,
        )
        cash = work.outcome(portfolio_id).cash
        await uow.commit()
    return replace(portfolio_of(row), cash=cash)
