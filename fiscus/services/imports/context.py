"""What bank import use cases need, built once per process (``Runtime.open``)."""

from __future__ import annotations

from dataclasses import dataclass

from fiscus.realtime.broker import Broker
from fiscus.services.categorization.context import Acting, Actor, CategorizationContext
from fiscus.services.context import ServiceContext

__all__ = ["Acting", "Actor", "ImportsContext"]


@dataclass(kw_only=True)
class ImportsContext(ServiceContext):
    categorization: CategorizationContext
    broker: Broker | None = None
    """Where an import's progress is published while it runs (not after commit: progress is
    not a change of the books; the import's completion is sent after its commit)."""
