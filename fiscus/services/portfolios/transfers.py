"""Moving a holding between two portfolios of the organization: a TRANSFER_OUT in the
source and a TRANSFER_IN in the target, paired by ``transfer_id``, in one transaction.

The source's replay decides which lots leave (its cost-basis method, or the ``lots`` named
under SPECIFIC) and at what cost; the TRANSFER_IN carries exactly those lots, each with its
own acquisition date and cost, so holding periods and gains continue in the target. No gain
is realized. Different base currencies: the cost basis is converted at the transfer day's
rate (see ``workspace``); the instrument's currency needs an FX rate into both bases on
that day, else NOT_FOUND on ``date``. Both caches are rewritten; later edits of the
source's history recompute the TRANSFER_IN's lots (``workspace`` cascade).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from fiscus.domain.errors import ErrorCode, FieldIssue, NotFound, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.marketdata import FxRateNotFound, normalize_symbol
from fiscus.domain.portfolios.model import LotPick, Transaction, TransactionType
from fiscus.domain.portfolios.portfolio import MAX_NOTE, Portfolio
from fiscus.persistence.repositories.portfolio_rows import StoredTransaction
from fiscus.services import idempotency
from fiscus.services.portfolios import pricing
from fiscus.services.portfolios.changes import explain_rows, record_change
from fiscus.services.portfolios.context import PortfolioContext
from fiscus.services.portfolios.portfolios import portfolio_of
from fiscus.services.portfolios.recording import idempotency_reused
from fiscus.services.portfolios.rows import own_field
from fiscus.services.portfolios.workspace import Workspace, received_lots

SCOPE = "portfolio.transfer"


@dataclass(frozen=True, slots=True)
class Transferred:
    source: Portfolio
    target: Portfolio
    out_leg: StoredTransaction
    in_leg: StoredTransaction
    replayed: bool = False


async def transfer_between_portfolios(
    ctx: PortfolioContext,
    principal: Principal,
    *,
    from_portfolio_id: UUID,
    to_portfolio_id: UUID,
    day: date,
    symbol: str,
    quantity: Decimal | None,
    lots: Sequence[LotPick] = (),
    idempotency_key: str,
    note: str | None = None,
) -> Transferred:
    key = idempotency.check_key(idempotency_key)
    checked_symbol = normalize_symbol(symbol)
    if from_portfolio_id == to_portfolio_id:
        raise ValidationFailed(
            [FieldIssue("toPortfolioId", ErrorCode.INVALID, "Transfer to another portfolio.")]
        )
    cleaned_note = (note or "").strip() or None
    if cleaned_note and len(cleaned_note) > MAX_NOTE:
        raise ValidationFailed([FieldIssue("note", ErrorCode.TOO_LONG, f"At most {MAX_NOTE}.")])
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        found = {
            p.id: p
            for p in await reads.portfolios.portfolios_by_ids([from_portfolio_id, to_portfolio_id])
        }
        for name, wanted in (
            ("fromPortfolioId", from_portfolio_id),
            ("toPortfolioId", to_portfolio_id),
        ):
            if wanted not in found:
                raise NotFound("No such portfolio.", field=name)
        source, target = found[from_portfolio_id], found[to_portfolio_id]
        instruments = await pricing.instruments_by_symbols(reads, [checked_symbol])
        instrument = instruments.get(checked_symbol)
        if instrument is None:
            raise NotFound(f"No instrument {checked_symbol}.", field="symbol")
        rates = []
        for base in (source.base_currency, target.base_currency):
            table = await pricing.fx_table(reads, base, [instrument.currency], day, day)
            try:
                rates.append(table.rate(instrument.currency, day))
            except FxRateNotFound as missing:
                raise NotFound(missing.message, field="date") from None
    request = {
        "from": str(from_portfolio_id),
        "to": str(to_portfolio_id),
        "date": day.isoformat(),
        "symbol": checked_symbol,
        "quantity": None if quantity is None else str(quantity.normalize()),
        "lots": [[p.lot_id, str(p.quantity.normalize())] for p in lots],
        "note": cleaned_note,
    }
    transfer_id = uuid.uuid4()
    out_id, in_id = uuid.uuid4(), uuid.uuid4()
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        work = Workspace(ctx, uow, now, principal.user_id)
        for portfolio_id in sorted((from_portfolio_id, to_portfolio_id)):
            await work.open(portfolio_id)
        stored = await uow.idempotency.claim(
            SCOPE,
            key,
            idempotency.fingerprint(request),
            {"out": str(out_id), "in": str(in_id)},
            now,
        )
        if stored is not None:
            if stored.fingerprint != idempotency.fingerprint(request):
                raise idempotency_reused()
            response = stored.response or {}
            return await _replayed(ctx, principal, UUID(response["out"]), UUID(response["in"]))
        out_tx = Transaction(
            id=out_id,
            seq=work.next_seq(from_portfolio_id),
            type=TransactionType.TRANSFER_OUT,
            date=day,
            currency=instrument.currency,
            fx_rate=rates[0],
            instrument_id=instrument.id,
            quantity=quantity,
            lots=tuple(LotPick(p.lot_id.strip(), p.quantity) for p in lots),
            note=cleaned_note,
        )
        out_leg = StoredTransaction(out_tx, from_portfolio_id, transfer_id)
        explain = explain_rows({out_id: 0, in_id: 0}, own_field, fallback="date", names={})
        work.add(from_portfolio_id, [out_leg])
        await work.settle(explain)
        consumed = work.outcome(from_portfolio_id).closed_lots_for.get(out_id, ())
        in_tx = Transaction(
            id=in_id,
            seq=work.next_seq(to_portfolio_id),
            type=TransactionType.TRANSFER_IN,
            date=day,
            currency=instrument.currency,
            fx_rate=rates[1],
            instrument_id=instrument.id,
            note=cleaned_note,
        )
        in_tx = replace(in_tx, transferred_lots=received_lots(consumed, out_tx, in_tx))
        in_tx = replace(
            in_tx, quantity=sum((x.quantity for x in in_tx.transferred_lots), Decimal(0))
        )
        in_leg = StoredTransaction(in_tx, to_portfolio_id, transfer_id)
        work.add(to_portfolio_id, [in_leg])
        await work.settle(explain)
        seqs = await work.write()
        await record_change(
            uow,
            principal,
            action="portfolio.transfer_recorded",
            portfolio_ids=work.touched(),
            at=now,
            details={
                "from": str(from_portfolio_id),
                "to": str(to_portfolio_id),
                "symbol": checked_symbol,
                "quantity": str(in_tx.quantity),
                "date": day.isoformat(),
            },
            subject_id=from_portfolio_id,
        )
        books_out, books_in = work.outcome(from_portfolio_id), work.outcome(to_portfolio_id)
        rows = work.row(from_portfolio_id), work.row(to_portfolio_id)
        await uow.commit()
    out_leg = replace(out_leg, transaction=replace(out_tx, seq=seqs[out_id]))
    in_leg = replace(in_leg, transaction=replace(in_tx, seq=seqs[in_id]))
    return Transferred(
        replace(portfolio_of(rows[0]), cash=books_out.cash),
        replace(portfolio_of(rows[1]), cash=books_in.cash),
        out_leg,
        in_leg,
    )


async def _replayed(
    ctx: PortfolioContext, principal: Principal, out_id: UUID, in_id: UUID
) -> Transferred:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        legs = {
            s.transaction.id: s for s in await reads.portfolios.transactions_by_ids([out_id, in_id])
        }
        if out_id not in legs or in_id not in legs:
            raise NotFound("The transfer this key recorded was deleted.", field="idempotencyKey")
        found = {
            p.id: p
            for p in await reads.portfolios.portfolios_by_ids(
                [legs[out_id].portfolio_id, legs[in_id].portfolio_id]
            )
        }
    return Transferred(
        found[legs[out_id].portfolio_id],
        found[legs[in_id].portfolio_id],
        legs[out_id],
        legs[in_id],
        True,
    )
