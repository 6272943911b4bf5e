"""organizationActivity: audit-logged changes pushed after commit."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from fiscus.domain import identity as domain
from fiscus.domain.identity import Permission
from fiscus.realtime import channels
from fiscus.schema import identity as types
from fiscus.schema.permissions import requires


@strawberry.type
class IdentitySubscription:
    @strawberry.subscription(
        description="Every audit-logged change in the caller's organization, pushed after "
        "it is committed.",
        permission_classes=[requires(Permission.AUDIT_READ)],
    )
    async def organization_activity(self, info: Info) -> AsyncGenerator[types.AuditEvent, None]:
        principal = await info.context.require_principal()
        channel = channels.org_activity(principal.org_id)
        async with info.context.hub.subscribe(channel, replay_snapshot=False) as messages:
            async for envelope in messages:
                yield types.AuditEvent.from_domain(_audit_event_from(envelope.payload))


def _audit_event_from(payload: dict[str, Any]) -> domain.AuditEvent:
    return domain.AuditEvent(
        id=UUID(payload["id"]),
        org_id=UUID(payload["org_id"]),
        occurred_at=datetime.fromisoformat(payload["occurred_at"]),
        actor_user_id=UUID(payload["actor_user_id"]) if payload["actor_user_id"] else None,
        action=payload["action"],
        subject_type=payload["subject_type"],
        subject_id=payload["subject_id"],
        details=payload["details"],
    )
