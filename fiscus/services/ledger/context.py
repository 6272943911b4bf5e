"""What ledger use cases need, built once per process (``Runtime.open``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fiscus.services.context import ServiceContext
from fiscus.services.ledger.lanes import PostingLanes


@dataclass(kw_only=True)
class LedgerContext(ServiceContext):
    lanes: PostingLanes = field(default_factory=PostingLanes)
    """Group posting's lanes (``groups``), shared by every copy (``sharing``)."""
