"""How errors reach clients, the same on HTTP and WebSocket: GraphQL errors as raised (our
code raises ``GraphQLError`` with an ``extensions.code`` on purpose), anything else masked."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

MASKED_MESSAGE = "Unexpected error."
MASKED_EXTENSIONS = {"code": "INTERNAL_SERVER_ERROR"}


def is_client_safe(error: GraphQLError) -> bool:
    return error.original_error is None or isinstance(error.original_error, GraphQLError)


def masked_error(error: GraphQLError) -> dict[str, Any]:
    """The error's position without its message: the caller logs the original."""
    formatted = error.formatted
    masked: dict[str, Any] = {"message": MASKED_MESSAGE}
    for key in ("locations", "path"):
        if formatted.get(key) is not None:
            masked[key] = formatted[key]
    masked["extensions"] = dict(MASKED_EXTENSIONS)
    return masked


def unexpected_error() -> dict[str, Any]:
    """An error with no position, for failures outside execution."""
    return {"message": MASKED_MESSAGE, "extensions": dict(MASKED_EXTENSIONS)}
