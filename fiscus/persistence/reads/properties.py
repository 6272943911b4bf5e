"""Property-management reads (``reads.properties``)."""

from __future__ import annotations

from fiscus.persistence.reads.repositories import ReadRepository


class PropertiesReads(ReadRepository):
    pass
