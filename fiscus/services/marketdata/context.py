"""What market-data use cases need, built once per process (``Runtime.open``) and shared by
the API, the workers and the streamer."""

from __future__ import annotations

from dataclasses import dataclass

from fiscus.marketdata.providers.base import MarketDataProvider
from fiscus.realtime.broker import Broker
from fiscus.services.context import ServiceContext


@dataclass(kw_only=True)
class MarketDataContext(ServiceContext):
    broker: Broker | None = None
    """Where the streamer publishes ticks; its snapshots are the latest-price cache."""
    provider: MarketDataProvider | None = None
    """Resolves symbols nobody stored yet (``trackInstrument``). None: an unknown symbol is
    NOT_FOUND. The provider registry (with fallback and guards) is plugged in here."""
