"""What every portfolio change does besides its writes: the audit event (published on the
organization's activity channel after commit, like the ledger's) and the portfolio's own
``changed`` event (``channels.portfolio``), and how a broken rule is reported."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from fiscus.domain.errors import RuleViolation
from fiscus.domain.identity import Principal
from fiscus.persistence.uow import UnitOfWork
from fiscus.realtime import channels
from fiscus.services.identity import audit
from fiscus.services.portfolios.replaying import Broken
from fiscus.services.portfolios.rows import FieldName, input_name
from fiscus.services.portfolios.workspace import Explain, describe


async def record_change(
    uow: UnitOfWork,
    principal: Principal,
    *,
    action: str,
    portfolio_ids: list[UUID],
    at: datetime,
    details: dict[str, Any],
    subject_type: str = "portfolio",
    subject_id: UUID | None = None,
) -> None:
    """The audit event (and its activity message) plus one ``changed`` event per portfolio,
    all sent after commit."""
    await audit.record_by(
        uow,
        principal,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id or portfolio_ids[0],
        at=at,
        details=details,
    )
    for portfolio_id in portfolio_ids:
        uow.publish(
            channels.portfolio(principal.org_id, portfolio_id),
            {"portfolio_id": str(portfolio_id), "reason": action, "at": at.isoformat()},
        )


def _violation(code: str, message: str, field: str | None) -> RuleViolation:
    return RuleViolation(code, message, field)


def explain_rows(
    rows: Mapping[UUID, int], name: FieldName, *, fallback: str, names: Mapping[UUID, str]
) -> Explain:
    """Violations on rows of the input name ``name(index, field)``; on a row recorded
    earlier (that this change breaks) they name ``fallback`` and say which row broke."""

    def explain(broken: Broken, portfolio_id: UUID) -> RuleViolation:
        tx = broken.transaction
        index = rows.get(tx.id)
        if index is not None:
            return _violation(broken.code, broken.message, name(index, input_name(broken.field)))
        where = names.get(portfolio_id, "this portfolio")
        return _violation(
            broken.code,
            f"This change breaks {describe(tx)} in {where}: {broken.message}",
            fallback,
        )

    return explain
