"""``/graphql`` over HTTP (see ``endpoint.py`` for how a request flows)."""

from fiscus.transport.http.endpoint import GraphQLHTTPEndpoint
from fiscus.transport.http.negotiation import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    accepts_html,
    negotiate_media_type,
)

__all__ = [
    "APPLICATION_JSON",
    "GRAPHQL_RESPONSE_JSON",
    "GraphQLHTTPEndpoint",
    "accepts_html",
    "negotiate_media_type",
]
