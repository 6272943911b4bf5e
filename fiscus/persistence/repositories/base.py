"""The one small base every repository stands on. All SQL lives in repositories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fiscus.persistence.models.base import Base

RowT = TypeVar("RowT", bound=Base)


class Repository(Generic[RowT]):
    model: type[RowT]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: RowT) -> RowT:
        self.session.add(row)
        await self.session.flush()
        return row

    async def one_or_none(self, statement: Select[RowT]) -> RowT | None:
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def all(self, statement: Select[RowT]) -> Sequence[RowT]:
        return (await self.session.execute(statement)).scalars().all()

    async def count(self, statement: Select[Any]) -> int:
        total = await self.session.scalar(
            select(func.count()).select_from(statement.order_by(None).subquery())
        )
        return int(total or 0)


class TenantScoped:
    """The tenant a repository works in. Repositories filter by it explicitly as well: RLS
    is the second lock, not the only one."""

    def __init__(self, org_id: UUID | None) -> None:
        self._org_id = org_id

    @property
    def org_id(self) -> UUID:
        if self._org_id is None:
            raise RuntimeError(f"{type(self).__name__} used without a tenant context")
        return self._org_id


class AreaRepository(TenantScoped):
    """An area's ORM repository over several tables (``uow.ledger``, ``uow.marketdata``)."""

    def __init__(self, session: AsyncSession, org_id: UUID | None) -> None:
        super().__init__(org_id)
        self.session = session


class TenantRepository(Repository[RowT], TenantScoped):
    """One tenant table's repository."""

    def __init__(self, session: AsyncSession, org_id: UUID | None) -> None:
        Repository.__init__(self, session)
        TenantScoped.__init__(self, org_id)

    def select(self) -> Select[RowT]:
        org_id = self.model.org_id  # type: ignore[attr-defined]
        return select(self.model).where(org_id == self.org_id)
