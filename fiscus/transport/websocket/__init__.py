"""Our own ``graphql-transport-ws`` server (see ``endpoint.py`` for the protocol notes)."""

from fiscus.transport.websocket.endpoint import (
    Authenticate,
    GraphQLWebSocketEndpoint,
    Revalidate,
)
from fiscus.transport.websocket.executions import (
    PUBLIC_SCOPE_METADATA,
    ContextFactory,
    ExecutionKey,
    SharedExecutions,
)
from fiscus.transport.websocket.messages import SUBPROTOCOL
from fiscus.transport.websocket.outbound import OutboundQueue

__all__ = [
    "PUBLIC_SCOPE_METADATA",
    "SUBPROTOCOL",
    "Authenticate",
    "ContextFactory",
    "ExecutionKey",
    "GraphQLWebSocketEndpoint",
    "OutboundQueue",
    "Revalidate",
    "SharedExecutions",
]
