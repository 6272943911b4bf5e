"""What categorization use cases need: the service context and this process's cache of
loaded suggestion models (keyed by organization: a model is never used for another one)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from fiscus.domain.categorization.suggestions import SuggestionModel
from fiscus.services.context import ServiceContext

MODELS_KEPT = 32


class SuggestionModels:
    """Loaded models by organization, the least recently used dropped past ``MODELS_KEPT``.
    An entry is used only while its ``trained_at`` is the stored model's."""

    def __init__(self, kept: int = MODELS_KEPT) -> None:
        self._kept = kept
        self._models: OrderedDict[UUID, tuple[datetime, SuggestionModel]] = OrderedDict()
        self._lock = asyncio.Lock()

    def get(self, org_id: UUID, trained_at: datetime) -> SuggestionModel | None:
        found = self._models.get(org_id)
        if found is None or found[0] != trained_at:
            return None
        self._models.move_to_end(org_id)
        return found[1]

    def put(self, org_id: UUID, trained_at: datetime, model: SuggestionModel) -> None:
        self._models[org_id] = (trained_at, model)
        self._models.move_to_end(org_id)
        while len(self._models) > self._kept:
            self._models.popitem(last=False)

    @property
    def lock(self) -> asyncio.Lock:
        return self._lock


class Acting(Protocol):
    """Who a use case acts for: a ``Principal``, or a job acting for the user who started
    it (or for nobody: a Plaid webhook)."""

    @property
    def org_id(self) -> UUID: ...

    @property
    def user_id(self) -> UUID | None: ...


@dataclass(frozen=True, slots=True)
class Actor:
    org_id: UUID
    user_id: UUID | None


@dataclass(kw_only=True)
class CategorizationContext(ServiceContext):
    models: SuggestionModels = field(default_factory=SuggestionModels)
