"""Receivables reads for the API and the checks: pages, documents by id, positions (balance
and credit as of a day) and the sub-ledger's integrity report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from fiscus.domain.identity import Principal
from fiscus.domain.receivables import Allocation, Charge, Counterparty, Payment
from fiscus.persistence.reads.receivables import (
    ChargeFilters,
    CounterpartyFilters,
    PaymentFilters,
    Position,
    SubLedgerReport,
)
from fiscus.services.receivables.context import ReceivablesContext

__all__ = ["ChargeFilters", "CounterpartyFilters", "PaymentFilters", "Position"]


async def counterparties_page(
    ctx: ReceivablesContext, principal: Principal, filters: CounterpartyFilters, *, limit: int
) -> list[Counterparty]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.receivables.counterparties_page(filters, limit=limit)


async def counterparties_by_ids(
    ctx: ReceivablesContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Counterparty]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.receivables.counterparties_by_ids(ids)


async def positions(
    ctx: ReceivablesContext, principal: Principal, ids: Sequence[UUID], as_of: date
) -> dict[UUID, Position]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.receivables.positions(ids, as_of)


async def charges_page(
    ctx: ReceivablesContext, principal: Principal, filters: ChargeFilters, *, limit: int
) -> list[Charge]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.receivables.charges_page(filters, limit=limit)


async def charges_by_ids(
    ctx: ReceivablesContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Charge]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.receivables.charges_by_ids(ids)


async def payments_page(
    ctx: ReceivablesContext, principal: Principal, filters: PaymentFilters, *, limit: int
) -> list[Payment]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.receivables.payments_page(filters, limit=limit)


async def payments_by_ids(
    ctx: ReceivablesContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, Payment]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.receivables.payments_by_ids(ids)


async def allocations_of_charges(
    ctx: ReceivablesContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, list[Allocation]]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        found = await reads.receivables.allocations_of_charges(ids)
    out: dict[UUID, list[Allocation]] = {}
    for a in found:
        out.setdefault(a.charge_id, []).append(a)
    return out


async def allocations_of_payments(
    ctx: ReceivablesContext, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, list[Allocation]]:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        found = await reads.receivables.allocations_of_payments(ids)
    out: dict[UUID, list[Allocation]] = {}
    for a in found:
        out.setdefault(a.payment_id, []).append(a)
    return out


async def check_integrity(ctx: ReceivablesContext, principal: Principal) -> SubLedgerReport:
    async with ctx.reading(principal.org_id, principal.user_id) as reads:
        return await reads.receivables.integrity().report()
