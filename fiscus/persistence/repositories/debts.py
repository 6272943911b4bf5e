"""Debt writes (units of work), reached lazily as ``uow.debts``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import delete, select, text

from fiscus.domain.debts import Debt, DebtPayment, RateChange
from fiscus.persistence.models.debts import DebtPaymentRow, DebtRateChangeRow, DebtRow
from fiscus.persistence.repositories.base import AreaRepository

_SCAN = text("SELECT fiscus_orgs_with_active_debts()")
_CLAIM_NOTICE = text("""
    INSERT INTO debt_due_notices (org_id, debt_id, due_date, notified_at)
    VALUES (:org_id, :debt_id, :due_date, now())
    ON CONFLICT DO NOTHING RETURNING 1""")


class DebtsRepository(AreaRepository):
    async def organizations_with_active_debts(self) -> list[UUID]:
        """Across tenants, through the SECURITY DEFINER scan (migration 0008): works
        without a tenant context."""
        return list((await self.session.scalars(_SCAN)).all())

    async def add(self, row: DebtRow, changes: Sequence[RateChange]) -> None:
        self.session.add(row)
        await self.session.flush()
        for change in changes:
            self.session.add(
                DebtRateChangeRow(
                    org_id=self.org_id,
                    debt_id=row.id,
                    effective_from=change.effective_from,
                    annual_rate_percent=change.annual_rate_percent,
                )
            )
        await self.session.flush()

    async def row(self, debt_id: UUID, *, for_update: bool = False) -> DebtRow | None:
        """``for_update`` queues concurrent payments of one debt."""
        statement = select(DebtRow).where(DebtRow.org_id == self.org_id, DebtRow.id == debt_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def rate_changes(self, debt_id: UUID) -> tuple[RateChange, ...]:
        rows = await self.session.execute(
            select(DebtRateChangeRow)
            .where(DebtRateChangeRow.org_id == self.org_id, DebtRateChangeRow.debt_id == debt_id)
            .order_by(DebtRateChangeRow.effective_from)
        )
        return tuple(
            RateChange(r.effective_from, r.annual_rate_percent) for r in rows.scalars().all()
        )

    async def debt(self, debt_id: UUID, *, for_update: bool = False) -> Debt | None:
        row = await self.row(debt_id, for_update=for_update)
        if row is None:
            return None
        return row.to_domain(await self.rate_changes(debt_id))

    async def set_rate_change(self, debt_id: UUID, change: RateChange) -> None:
        await self.session.execute(
            delete(DebtRateChangeRow).where(
                DebtRateChangeRow.org_id == self.org_id,
                DebtRateChangeRow.debt_id == debt_id,
                DebtRateChangeRow.effective_from == change.effective_from,
            )
        )
        self.session.add(
            DebtRateChangeRow(
                org_id=self.org_id,
                debt_id=debt_id,
                effective_from=change.effective_from,
                annual_rate_percent=change.annual_rate_percent,
            )
        )
        await self.session.flush()

    async def payments(self, debt_id: UUID) -> list[DebtPayment]:
        rows = await self.session.execute(
            select(DebtPaymentRow).where(
                DebtPaymentRow.org_id == self.org_id, DebtPaymentRow.debt_id == debt_id
            )
        )
        return [r.to_domain() for r in rows.scalars().all()]

    async def add_payment(self, row: DebtPaymentRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def claim_due_notice(self, debt_id: UUID, due: date) -> bool:
        """True once per (debt, due date): the caller emits DebtPaymentDue."""
        claimed = await self.session.scalar(
            _CLAIM_NOTICE, {"org_id": self.org_id, "debt_id": debt_id, "due_date": due}
        )
        return bool(claimed)

    async def active(self) -> list[DebtRow]:
        rows = await self.session.execute(
            select(DebtRow).where(DebtRow.org_id == self.org_id, DebtRow.status == "active")
        )
        return list(rows.scalars().all())
