"""The validated-document cache both transports keep, bounded by entries and by bytes.

Only documents within ``max_document_bytes`` ever reach it (the size is checked before
parsing), and only parse-and-validate *results* are kept: syntax and size errors are cheap
to recompute and are not cached, so a flood of distinct junk documents cannot fill it.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class DocumentCache(Generic[K, V]):
    """Least recently used first out, once ``max_entries`` or ``max_bytes`` is exceeded.

    ``weight`` is what the caller says an entry costs (the document's source bytes); an
    entry heavier than the whole budget is not kept at all."""

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[0]

    def put(self, key: K, value: V, weight: int) -> None:
        if weight > self.max_bytes or self.max_entries <= 0:
            return
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._bytes -= previous[1]
        self._entries[key] = (value, weight)
        self._bytes += weight
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._bytes -= dropped
