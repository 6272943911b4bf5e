"""Valuations remembered by the exact inputs they were computed from.

A portfolio's valuation is a pure function of what the dashboard's statement read (its
cash, base currency, holdings rows with their instruments and stored closes) and the FX
rates. The dashboard reads those inputs at every request, so a remembered valuation is
returned only when they are equal to the ones it was computed from: a recorded
transaction, a new close or a new rate changes them and the portfolio is valued again.
Nothing is ever stale; repeated reads of unchanged portfolios skip the arithmetic and the
objects. Bounded (least recently used first out), per process.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar
from uuid import UUID

V = TypeVar("V")
DEFAULT_ENTRIES = 4096


class MarkCache(Generic[V]):
    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        self._entries = entries
        self._found: OrderedDict[tuple[UUID, UUID], tuple[Hashable, V]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, org_id: UUID, portfolio_id: UUID, inputs: Hashable) -> V | None:
        key = (org_id, portfolio_id)
        found = self._found.get(key)
        if found is None or found[0] != inputs:
            self.misses += 1
            return None
        self._found.move_to_end(key)
        self.hits += 1
        return found[1]

    def put(self, org_id: UUID, portfolio_id: UUID, inputs: Hashable, value: V) -> None:
        if self._entries <= 0:
            return
        key = (org_id, portfolio_id)
        self._found[key] = (inputs, value)
        self._found.move_to_end(key)
        while len(self._found) > self._entries:
            self._found.popitem(last=False)
