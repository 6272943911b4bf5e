"""Prometheus metrics. One registry per process, exposed at ``/metrics``.

Label values are bounded. Operation names are the client's: only the names of documents
that passed validation are used, each through an ``OperationLabels`` that admits a fixed
number of distinct names per process; unnamed operations are ``anonymous``, invalid
documents, odd names and names past the cap are ``other``.
"""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

http_requests = Counter(
    "fiscus_http_requests_total",
    "HTTP requests by method, route and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
http_request_duration = Histogram(
    "fiscus_http_request_duration_seconds",
    "HTTP request duration by method and route.",
    ["method", "route"],
    registry=REGISTRY,
)
graphql_operations = Counter(
    "fiscus_graphql_operations_total",
    "GraphQL operations by type, operation name and outcome (ok, error, invalid).",
    ["type", "name", "outcome"],
    registry=REGISTRY,
)
graphql_operation_duration = Histogram(
    "fiscus_graphql_operation_duration_seconds",
    "GraphQL operation execution time by type and operation name.",
    ["type", "name"],
    registry=REGISTRY,
)
websockets_open = Gauge(
    "fiscus_websockets_open", "Open GraphQL WebSocket connections.", registry=REGISTRY
)
subscriptions_active = Gauge(
    "fiscus_subscriptions_active", "Active GraphQL subscriptions.", registry=REGISTRY
)
messages_published = Counter(
    "fiscus_realtime_messages_published_total",
    "Messages published to Redis pub/sub, by channel kind.",
    ["channel_kind"],
    registry=REGISTRY,
)
messages_delivered = Counter(
    "fiscus_realtime_messages_delivered_total",
    "Subscription payloads written to WebSockets.",
    registry=REGISTRY,
)
portfolio_valuations = Counter(
    "fiscus_portfolio_valuations_total",
    "Live portfolio valuations computed (portfolioValuation: one per watched portfolio per "
    "batch of ticks, however many sockets watch it).",
    registry=REGISTRY,
)
messages_dropped = Counter(
    "fiscus_realtime_messages_dropped_total",
    "Messages conflated or dropped because a subscriber was slow.",
    registry=REGISTRY,
)
job_runs = Counter(
    "fiscus_job_runs_total",
    "Background job runs by job and outcome.",
    ["job", "outcome"],
    registry=REGISTRY,
)
job_duration = Histogram(
    "fiscus_job_duration_seconds", "Background job duration by job.", ["job"], registry=REGISTRY
)
marketdata_provider_calls = Counter(
    "fiscus_marketdata_provider_calls_total",
    "Market-data provider calls by provider and outcome (ok, not_found, rate_limited, "
    "timeout, error, rejected).",
    ["provider", "outcome"],
    registry=REGISTRY,
)
marketdata_provider_call_duration = Histogram(
    "fiscus_marketdata_provider_call_duration_seconds",
    "Market-data provider call duration (rate-limiter wait included) by provider.",
    ["provider"],
    registry=REGISTRY,
)
marketdata_breaker_state = Gauge(
    "fiscus_marketdata_breaker_state",
    "Circuit breaker of a market-data provider: 0 closed, 1 half-open, 2 open.",
    ["provider"],
    registry=REGISTRY,
)


BREAKER_LEVELS = {"closed": 0, "half_open": 1, "open": 2}


class ProviderCallMetrics:
    """The market-data guards' observer (``fiscus.marketdata.guards.GuardObserver``; plain
    strings here, so this module imports no layer): call outcomes and breaker transitions.
    An open breaker shows as half-open once a call or a /health check came after its
    cool-down."""

    def call_finished(self, provider: str, outcome: str, seconds: float) -> None:
        marketdata_provider_calls.labels(provider, str(outcome)).inc()
        marketdata_provider_call_duration.labels(provider).observe(seconds)

    def circuit_changed(self, provider: str, state: str) -> None:
        marketdata_breaker_state.labels(provider).set(BREAKER_LEVELS[str(state)])


_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


OTHER_OPERATIONS = "other"


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    return name if _SAFE_NAME.match(name) else OTHER_OPERATIONS


class OperationLabels:
    """The operation names this process labels metrics with: the first ``limit`` distinct
    ones seen, then ``other`` for every new name (the series count stays bounded)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._known: set[str] = set()

    def label(self, name: str | None) -> str:
        label = operation_label(name)
        if label in self._known or label in ("anonymous", OTHER_OPERATIONS):
            return label
        if len(self._known) >= self.limit:
            return OTHER_OPERATIONS
        self._known.add(label)
        return label
