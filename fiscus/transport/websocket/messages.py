"""graphql-transport-ws messages: parsing what clients send, framing what we send."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from graphql import ExecutionResult as CoreExecutionResult
from graphql import GraphQLError
from strawberry.types.execution import ExecutionResult

from fiscus.transport.errors import is_client_safe, masked_error, unexpected_error
from fiscus.transport.json_encoding import encode

logger = logging.getLogger(__name__)


SUBPROTOCOL = "graphql-transport-ws"
_MAX_CLOSE_REASON_BYTES = 123


class ProtocolViolation(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


# -- payload formatting ----------------------------------------------------------------------


def visible_error(error: GraphQLError) -> dict[str, Any]:
    """GraphQL errors are shown as raised; anything else is logged and masked
    (the same shape the HTTP transport uses)."""
    if is_client_safe(error):
        return dict(error.formatted)
    logger.error(
        "Unexpected error in WebSocket operation at path %s",
        error.path,
        exc_info=error.original_error,
    )
    return masked_error(error)


def errors_json(errors: Sequence[GraphQLError]) -> str:
    return dumps([visible_error(error) for error in errors])


def result_json(result: ExecutionResult | CoreExecutionResult) -> str:
    """Serialise a result once; every socket receives the very same string."""
    document: dict[str, Any] = {"data": result.data}
    if result.errors:
        document["errors"] = [visible_error(error) for error in result.errors]
    if result.extensions:
        document["extensions"] = result.extensions
    return encode(document).decode()


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def frame(op_id: str, kind: str, payload_json: str) -> str:
    return '{"id":' + json.dumps(op_id) + ',"type":"' + kind + '","payload":' + payload_json + "}"


def next_frame_prefix(op_id: str) -> str:
    """``frame(op_id, "next", payload)`` is this + payload + ``}``."""
    return '{"id":' + json.dumps(op_id) + ',"type":"next","payload":'


def complete_frame(op_id: str) -> str:
    return '{"id":' + json.dumps(op_id) + ',"type":"complete"}'


def unexpected_errors_json() -> str:
    return dumps([unexpected_error()])


def session_ended_json() -> str:
    return dumps(
        [
            {
                "message": "Your session has ended; log in again.",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    )


# -- the per-socket outbound queue -----------------------------------------------------------


# -- message validation ----------------------------------------------------------------------


def parse_message(text: str | None) -> dict[str, Any]:
    if text is None:
        raise ProtocolViolation(4400, "Binary messages are not supported")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolViolation(4400, "Invalid message received") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolViolation(4400, "Invalid message received")
    return message


def operation_id(message: dict[str, Any]) -> str:
    op_id = message.get("id")
    if not isinstance(op_id, str) or not op_id:
        raise ProtocolViolation(4400, f"{message['type']} message must have a string id")
    return op_id


def subscribe_payload(message: dict[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    payload = message.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        raise ProtocolViolation(4400, "subscribe payload must have a string query")
    operation_name = payload.get("operationName")
    variables = payload.get("variables")
    if operation_name is not None and not isinstance(operation_name, str):
        raise ProtocolViolation(4400, "operationName must be a string")
    if variables is not None and not isinstance(variables, dict):
        raise ProtocolViolation(4400, "variables must be an object")
    return payload["query"], operation_name, variables or {}


def with_payload(frame: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    if isinstance(message.get("payload"), dict):
        frame["payload"] = message["payload"]
    return frame


def truncate_reason(reason: str) -> str:
    encoded = reason.encode()
    if len(encoded) <= _MAX_CLOSE_REASON_BYTES:
        return reason
    return encoded[: _MAX_CLOSE_REASON_BYTES - 3].decode(errors="ignore") + "..."
