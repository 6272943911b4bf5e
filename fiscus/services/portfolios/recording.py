"""Recording transactions in bulk (``recordPortfolioTransactions``, and CSV imports): up to
10,000 rows, all or nothing, in one transaction.

Rows are parsed and checked (off the event loop when many), symbols resolved in one
statement, FX rates filled from one read of the currency pairs, then the portfolio is
locked, the new rows appended to its history (same-day rows keep the order given) and the
whole history replayed once; every broken rule names ``transactions[<i>].<field>``. The
rows go in with one INSERT, the holdings cache and cash are rewritten, the change is
audit-logged and announced after commit.

References: a broker's id is unique per portfolio. Here a reference that already exists
(or appears twice in the input) is DUPLICATE_REFERENCE naming the row -- nothing is
written, so a client that re-sends a file learns exactly which rows it already sent. The
CSV import instead skips rows whose reference exists and reports them as duplicates.

Idempotency: the key covers the portfolio and every row; the same key and input answers
the first result again (``replayed``), another input is IDEMPOTENCY_KEY_REUSED.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from fiscus.domain.errors import Conflict, ErrorCode, FieldIssue, NotFound, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.portfolios.model import MAX_TRANSACTIONS_PER_CALL, Transaction
from fiscus.domain.portfolios.portfolio import Portfolio
from fiscus.persistence.repositories.portfolio_rows import StoredTransaction
from fiscus.services import idempotency
from fiscus.services.portfolios import pricing
from fiscus.services.portfolios.changes import explain_rows, record_change
from fiscus.services.portfolios.context import PortfolioContext
from fiscus.services.portfolios.portfolios import portfolio_of
from fiscus.services.portfolios.rows import (
    Draft,
    FieldName,
    TransactionInput,
    drafts,
    needed_currencies,
    resolve,
    row_field,
)
from fiscus.services.portfolios.workspace import Workspace

SCOPE = "portfolio.record_transactions"


@dataclass(frozen=True, slots=True)
class Recorded:
    portfolio: Portfolio
    transactions: list[StoredTransaction]
    replayed: bool = False
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    """(row index, reference) of rows skipped because the reference exists (imports)."""


async def portfolio_for_reading(
    ctx: PortfolioContext, principal: Principal, portfolio_id: UUID
) -> Portfolio:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        found = await reads.portfolios.portfolios_by_ids([portfolio_id])
    if not found:
        raise NotFound("No such portfolio.", field="portfolioId")
    return found[0]


def _duplicates_in_input(found: Sequence[Draft], name: FieldName) -> None:
    seen: dict[str, int] = {}
    issues: list[FieldIssue] = []
    for item in found:
        reference = item.transaction.reference
        if reference is None:
            continue
        earlier = seen.setdefault(reference, item.index)
        if earlier != item.index:
            issues.append(
                FieldIssue(
                    name(item.index, "reference"),
                    ErrorCode.DUPLICATE_REFERENCE,
                    f"Reference {reference} is also on row {earlier}.",
                )
            )
    if issues:
        raise ValidationFailed(issues[:100])


def _request(portfolio_id: UUID, rows: Sequence[TransactionInput]) -> dict[str, Any]:
    return {"portfolio_id": str(portfolio_id), "rows": [r.request() for r in rows]}


async def record_transactions(
    ctx: PortfolioContext,
    principal: Principal,
    portfolio_id: UUID,
    rows: Sequence[TransactionInput],
    *,
    idempotency_key: str,
    field_name: FieldName = row_field,
    skip_existing_references: bool = False,
    scope: str = SCOPE,
    request: dict[str, Any] | None = None,
    action: str = "portfolio.transactions_recorded",
) -> Recorded:
    key = idempotency.check_key(idempotency_key)
    if len(rows) > MAX_TRANSACTIONS_PER_CALL:
        raise ValidationFailed(
            [
                FieldIssue(
                    "transactions",
                    ErrorCode.INVALID,
                    f"At most {MAX_TRANSACTIONS_PER_CALL} transactions at once.",
                )
            ]
        )
    if not rows:
        raise ValidationFailed([FieldIssue("transactions", ErrorCode.REQUIRED, "No rows.")])
    size = len(rows)
    parsed = await ctx.offload(size, lambda: drafts(rows, field_name))
    _duplicates_in_input(parsed, field_name)
    portfolio = await portfolio_for_reading(ctx, principal, portfolio_id)
    symbols = {d.symbol for d in parsed if d.symbol}
    days = [d.transaction.date for d in parsed]
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        instruments = await pricing.instruments_by_symbols(reads, symbols)
        fx = await pricing.fx_table(
            reads,
            portfolio.base_currency,
            needed_currencies(parsed, instruments),
            min(days),
            max(days),
        )
    resolved = await ctx.offload(
        size,
        lambda: resolve(
            parsed,
            instruments=instruments,
            fx=fx,
            base_currency=portfolio.base_currency,
            name=field_name,
        ),
    )
    fingerprint = await ctx.offload(
        size, lambda: idempotency.fingerprint(request or _request(portfolio_id, rows))
    )
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        work = Workspace(ctx, uow, now, principal.user_id)
        row = await work.open(portfolio_id)
        stored = await uow.idempotency.claim(
            scope,
            key,
            fingerprint,
            {"transaction_ids": [str(t.id) for t in resolved]},
            now,
        )
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise idempotency_reused()
            replayed_ids = [UUID(i) for i in (stored.response or {}).get("transaction_ids", [])]
            return await _replayed(ctx, principal, portfolio_id, replayed_ids)
        references = [t.reference for t in resolved if t.reference]
        existing = await uow.portfolios.existing_references(portfolio_id, references)
        index_of = {t.id: parsed[n].index for n, t in enumerate(resolved)}
        duplicates: list[tuple[int, str]] = []
        if existing:
            if not skip_existing_references:
                raise ValidationFailed(
                    [
                        FieldIssue(
                            field_name(index_of[t.id], "reference"),
                            ErrorCode.DUPLICATE_REFERENCE,
                            f"Reference {t.reference} is already recorded in this portfolio.",
                        )
                        for t in resolved
                        if t.reference in existing
                    ][:100]
                )
            duplicates = [
                (index_of[t.id], t.reference)
                for t in resolved
                if t.reference is not None and t.reference in existing
            ]
            resolved = [t for t in resolved if t.reference not in existing]
        first_seq = work.next_seq(portfolio_id)
        new = await ctx.offload(size, lambda: _stored(resolved, portfolio_id, first_seq))
        if new:
            work.add(portfolio_id, new)
            await work.settle(explain_rows(index_of, field_name, fallback="transactions", names={}))
            seqs = await work.write()
            new = await ctx.offload(size, lambda: _with_seqs(new, seqs))
            await record_change(
                uow,
                principal,
                action=action,
                portfolio_ids=[portfolio_id],
                at=now,
                details={
                    "count": len(new),
                    "skipped": len(duplicates),
                    "from": min(s.transaction.date for s in new).isoformat(),
                    "to": max(s.transaction.date for s in new).isoformat(),
                },
            )
            cash = work.outcome(portfolio_id).cash
        else:
            cash = row.cash
        await uow.commit()
    return Recorded(replace(portfolio_of(row), cash=cash), new, False, duplicates)


def _stored(
    transactions: Sequence[Transaction], portfolio_id: UUID, first_seq: int
) -> list[StoredTransaction]:
    """New rows after every stored one (their ``seq`` until the database assigns it)."""
    return [
        StoredTransaction(replace(t, seq=first_seq + n), portfolio_id, None)
        for n, t in enumerate(transactions)
    ]


def _with_seqs(
    stored: Sequence[StoredTransaction], seqs: dict[UUID, int]
) -> list[StoredTransaction]:
    return [
        replace(s, transaction=replace(s.transaction, seq=seqs[s.transaction.id])) for s in stored
    ]


def idempotency_reused() -> Conflict:
    return Conflict(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        "This idempotency key was already used with a different request.",
        "idempotencyKey",
    )


async def _replayed(
    ctx: PortfolioContext, principal: Principal, portfolio_id: UUID, ids: Sequence[UUID]
) -> Recorded:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        found = await reads.portfolios.portfolios_by_ids([portfolio_id])
        stored = await reads.portfolios.transactions_by_ids(ids)
    if not found:
        raise NotFound("No such portfolio.", field="portfolioId")
    by_id = {s.transaction.id: s for s in stored}
    return Recorded(found[0], [by_id[i] for i in ids if i in by_id], True)
