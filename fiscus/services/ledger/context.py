"""What ledger use cases need, built once per process (``Runtime.open``)."""

from __future__ import annotations

from dataclasses import dataclass

from fiscus.services.context import ServiceContext


@dataclass(kw_only=True)
class LedgerContext(ServiceContext):
    pass
