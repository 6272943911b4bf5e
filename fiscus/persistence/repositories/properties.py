"""Property-management writes (units of work), reached lazily as ``uow.properties``."""

from __future__ import annotations

from fiscus.persistence.repositories.base import AreaRepository


class PropertiesRepository(AreaRepository):
    pass
