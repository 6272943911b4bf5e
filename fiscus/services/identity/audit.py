"""Audit trail: every change to an organization is recorded and pushed to its activity channel."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from fiscus.domain.identity import Principal
from fiscus.persistence.models.identity import AuditEventRow
from fiscus.persistence.uow import UnitOfWork
from fiscus.realtime import channels


async def record(
    uow: UnitOfWork,
    *,
    org_id: UUID,
    actor_user_id: UUID | None,
    action: str,
    subject_type: str,
    subject_id: UUID | str,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> AuditEventRow:
    row = AuditEventRow(
        org_id=org_id,
        id=uuid.uuid4(),
        occurred_at=at,
        actor_user_id=actor_user_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        details=details or {},
    )
    await uow.audit.add(row)
    uow.publish(channels.org_activity(org_id), activity_payload(row))
    return row


async def record_by(
    uow: UnitOfWork,
    principal: Principal,
    *,
    action: str,
    subject_type: str,
    subject_id: UUID | str,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> AuditEventRow:
    """``record`` for a change the caller made in their current organization."""
    return await record(
        uow,
        org_id=principal.org_id,
        actor_user_id=principal.user_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        at=at,
        details=details,
    )


def activity_payload(row: AuditEventRow) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "org_id": str(row.org_id),
        "occurred_at": row.occurred_at.isoformat(),
        "actor_user_id": str(row.actor_user_id) if row.actor_user_id else None,
        "action": row.action,
        "subject_type": row.subject_type,
        "subject_id": row.subject_id,
        "details": row.details,
    }


def access_changed(uow: UnitOfWork, user_id: UUID, reason: str) -> None:
    """Tell every open socket of ``user_id`` to re-check its access (after commit)."""
    uow.publish(channels.user_access(user_id), {"reason": reason})
