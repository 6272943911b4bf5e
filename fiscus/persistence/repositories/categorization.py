"""Categorization writes in units of work: rules (ordered by ``position``) and the
organization's one suggestion model. Reached lazily as ``uow.categorization``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert

from fiscus.persistence.models.categorization import CategorizationModelRow, CategorizationRuleRow
from fiscus.persistence.repositories.base import AreaRepository

_LOCK_RULES = text("SELECT pg_advisory_xact_lock(:space, hashtext(CAST(:org_id AS text)))")
RULES_LOCK_SPACE = 0x52554C45  # "RULE": rule edits of one organization queue


class CategorizationRepository(AreaRepository):
    async def lock_rules(self) -> None:
        """Rule edits (creation, reordering) of one organization run one at a time."""
        await self.session.execute(
            _LOCK_RULES, {"space": RULES_LOCK_SPACE, "org_id": str(self.org_id)}
        )

    async def rules(self) -> list[CategorizationRuleRow]:
        result = await self.session.execute(
            select(CategorizationRuleRow)
            .where(CategorizationRuleRow.org_id == self.org_id)
            .order_by(CategorizationRuleRow.position, CategorizationRuleRow.id)
        )
        return list(result.scalars().all())

    async def rule(self, rule_id: UUID) -> CategorizationRuleRow | None:
        return (
            await self.session.execute(
                select(CategorizationRuleRow).where(
                    CategorizationRuleRow.org_id == self.org_id,
                    CategorizationRuleRow.id == rule_id,
                )
            )
        ).scalar_one_or_none()

    async def next_position(self) -> int:
        found = await self.session.scalar(
            select(func.max(CategorizationRuleRow.position)).where(
                CategorizationRuleRow.org_id == self.org_id
            )
        )
        return 0 if found is None else int(found) + 1

    async def add_rule(self, row: CategorizationRuleRow) -> CategorizationRuleRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def delete_rule(self, rule_id: UUID) -> None:
        await self.session.execute(
            delete(CategorizationRuleRow).where(
                CategorizationRuleRow.org_id == self.org_id, CategorizationRuleRow.id == rule_id
            )
        )

    async def reorder(self, ordered: Sequence[UUID], at: datetime) -> None:
        for position, rule_id in enumerate(ordered):
            row = await self.rule(rule_id)
            if row is not None:
                row.position = position
                row.updated_at = at
        await self.session.flush()

    async def save_model(
        self,
        *,
        version: int,
        trained_at: datetime,
        labels: int,
        held_out: int,
        accuracy: Decimal | None,
        classes: int,
        model: bytes,
        seconds: Decimal,
    ) -> None:
        values = {
            "org_id": self.org_id,
            "version": version,
            "trained_at": trained_at,
            "labels": labels,
            "held_out": held_out,
            "accuracy": accuracy,
            "classes": classes,
            "model": model,
            "training_seconds": seconds,
        }
        statement = insert(CategorizationModelRow).values(**values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[CategorizationModelRow.org_id],
                set_={k: statement.excluded[k] for k in values if k != "org_id"},
            )
        )
