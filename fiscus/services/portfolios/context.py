"""What portfolio use cases need, built once per process (``Runtime.open``)."""

from __future__ import annotations

from dataclasses import dataclass

from fiscus.services.context import ServiceContext

OFFLOAD_AT = 200
"""Histories with at least this many transactions are replayed in a worker thread, so a big
portfolio's recomputation never holds the event loop."""


@dataclass(kw_only=True)
class PortfolioContext(ServiceContext):
    offload_at: int = OFFLOAD_AT
