"""Portfolios: create, change (a new cost-basis method or margin rule replays the whole
history and rewrites the cache, in the same transaction), delete (with every transaction;
refused while the portfolio holds a leg of a transfer: delete the transfer first)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from uuid import UUID

from fiscus.domain.errors import ErrorCode, FieldIssue, RuleViolation, ValidationFailed
from fiscus.domain.identity import Principal
from fiscus.domain.marketdata import normalize_currency
from fiscus.domain.portfolios.model import CostBasisMethod
from fiscus.domain.portfolios.portfolio import Portfolio, normalize_portfolio_name
from fiscus.persistence.models.portfolios import PortfolioRow
from fiscus.persistence.uow import UnitOfWork
from fiscus.services.portfolios.changes import explain_rows, record_change
from fiscus.services.portfolios.context import PortfolioContext
from fiscus.services.portfolios.rows import own_field
from fiscus.services.portfolios.workspace import Workspace


def portfolio_of(row: PortfolioRow) -> Portfolio:
    return Portfolio(
        row.id,
        row.org_id,
        row.name,
        row.base_currency.strip(),
        CostBasisMethod(row.cost_basis_method),
        row.allow_margin,
        row.cash,
        row.archived,
        row.created_at,
    )


def method_of(value: CostBasisMethod | str, field_name: str = "costBasisMethod") -> CostBasisMethod:
    try:
        return CostBasisMethod(str(value).upper())
    except ValueError:
        raise ValidationFailed(
            [FieldIssue(field_name, ErrorCode.INVALID, "FIFO, LIFO, HIFO, AVERAGE or SPECIFIC.")]
        ) from None


async def _ensure_name_free(uow: UnitOfWork, name: str, other_than: UUID | None = None) -> None:
    if await uow.portfolios.name_taken(name, other_than=other_than):
        raise ValidationFailed(
            [FieldIssue("name", ErrorCode.NAME_TAKEN, f"A portfolio is already named {name}.")]
        )


async def create_portfolio(
    ctx: PortfolioContext,
    principal: Principal,
    *,
    name: str,
    base_currency: str,
    cost_basis_method: CostBasisMethod | str = CostBasisMethod.FIFO,
    allow_margin: bool = False,
) -> Portfolio:
    issues: list[FieldIssue] = []
    checked_name = checked_currency = ""
    checked_method = CostBasisMethod.FIFO
    try:
        checked_name = normalize_portfolio_name(name)
    except ValidationFailed as failure:
        issues.extend(failure.issues)
    try:
        checked_currency = normalize_currency(base_currency, field_name="baseCurrency")
    except ValidationFailed as failure:
        issues.extend(failure.issues)
    try:
        checked_method = method_of(cost_basis_method)
    except ValidationFailed as failure:
        issues.extend(failure.issues)
    if issues:
        raise ValidationFailed(issues)
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        await _ensure_name_free(uow, checked_name)
        row = PortfolioRow(
            org_id=principal.org_id,
            id=uuid.uuid4(),
            name=checked_name,
            base_currency=checked_currency,
            cost_basis_method=checked_method.value,
            allow_margin=allow_margin,
            archived=False,
            created_at=now,
            updated_at=now,
        )
        await uow.portfolios.add_portfolio(row)
        await record_change(
            uow,
            principal,
            action="portfolio.created",
            portfolio_ids=[row.id],
            at=now,
            details={
                "name": row.name,
                "base_currency": row.base_currency,
                "cost_basis_method": row.cost_basis_method,
                "allow_margin": allow_margin,
            },
        )
        await uow.commit()
    return portfolio_of(row)


@dataclass(frozen=True, slots=True)
class PortfolioChanges:
    name: str | None = None
    cost_basis_method: CostBasisMethod | str | None = None
    allow_margin: bool | None = None
    archived: bool | None = None


async def update_portfolio(
    ctx: PortfolioContext, principal: Principal, portfolio_id: UUID, changes: PortfolioChanges
) -> Portfolio:
    """The base currency never changes (every row's FX rate is into it). A new method or
    margin rule replays the history: refused, with nothing changed, when the history breaks
    a rule under it (e.g. a SPECIFIC sell naming lots under FIFO)."""
    name = normalize_portfolio_name(changes.name) if changes.name is not None else None
    method = method_of(changes.cost_basis_method) if changes.cost_basis_method else None
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        work = Workspace(ctx, uow, now, principal.user_id)
        row = await work.open(portfolio_id)
        changed: dict[str, object] = {}
        if name is not None and name != row.name:
            await _ensure_name_free(uow, name, other_than=row.id)
            row.name = changed["name"] = name
        if changes.archived is not None and changes.archived != row.archived:
            row.archived = changed["archived"] = changes.archived
        replays = False
        if method is not None and method.value != row.cost_basis_method:
            row.cost_basis_method = changed["cost_basis_method"] = method.value
            replays = True
        if changes.allow_margin is not None and changes.allow_margin != row.allow_margin:
            row.allow_margin = changed["allow_margin"] = changes.allow_margin
            replays = True
        if replays:
            field = "costBasisMethod" if "cost_basis_method" in changed else "allowMargin"
            work.reconfigure(row.id)
            await work.settle(explain_rows({}, own_field, fallback=field, names={}))
            await work.write()
        row.updated_at = now
        await uow.flush()
        await record_change(
            uow,
            principal,
            action="portfolio.updated",
            portfolio_ids=work.touched() or [row.id],
            at=now,
            details=changed,
            subject_id=row.id,
        )
        await uow.commit()
        return portfolio_of(row)


async def delete_portfolio(ctx: PortfolioContext, principal: Principal, portfolio_id: UUID) -> UUID:
    """Deletes the portfolio and its transactions. Refused while it holds a leg of a
    transfer with another portfolio (delete the transfer first: the other side's lots
    depend on it)."""
    now = ctx.clock()
    async with ctx.unit(org_id=principal.org_id, user_id=principal.user_id) as uow:
        work = Workspace(ctx, uow, now, principal.user_id)
        row = await work.open(portfolio_id)
        legs = await uow.portfolios.transfer_leg_count(portfolio_id)
        if legs:
            raise RuleViolation(
                ErrorCode.TRANSFER_LEG,
                f"This portfolio holds {legs} transfer(s) with another portfolio: delete "
                "them first (deletePortfolioTransaction on either leg).",
                "portfolioId",
            )
        await uow.portfolios.delete_portfolio(portfolio_id)
        await record_change(
            uow,
            principal,
            action="portfolio.deleted",
            portfolio_ids=[portfolio_id],
            at=now,
            details={"name": row.name, "transactions": work.count(portfolio_id)},
        )
        await uow.commit()
    return portfolio_id
