"""What ledger use cases need, built once per process (``Runtime.open``)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from fiscus.domain.identity import Principal
from fiscus.domain.ledger import JournalEntry
from fiscus.services.context import ServiceContext
from fiscus.services.ledger.lanes import PostingLanes

log = logging.getLogger(__name__)

PostingHook = Callable[[Principal, Sequence[JournalEntry]], Awaitable[object]]
"""Called after a posting committed, with the entries it posted (replays excluded)."""


@dataclass(kw_only=True)
class LedgerContext(ServiceContext):
    lanes: PostingLanes = field(default_factory=PostingLanes)
    """Group posting's lanes (``groups``), shared by every copy (``sharing``)."""
    after_posting: list[PostingHook] = field(default_factory=list)
    """Other areas' reactions to postings (budget alerts, goal milestones), wired by
    ``Runtime.open``; shared by every copy of the context (``sharing``)."""

    async def posted(self, principal: Principal, entries: Sequence[JournalEntry]) -> None:
        """Runs the hooks after commit. The posting stands whatever they do: a failing hook
        is logged, never raised to the caller."""
        if not entries:
            return
        for hook in self.after_posting:
            try:
                await hook(principal, entries)
            except Exception:
                log.exception("a hook after posting failed", extra={"hook": repr(hook)})
