"""Our own ``graphql-transport-ws`` server on Starlette; Strawberry only provides the schema.

Protocol: https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md. Close codes:
4400 invalid message, 4401 subscribe before ack, 4403 bad/expired/revoked credentials,
4406 subprotocol not acceptable, 4408 no ``connection_init`` in time, 4409 duplicate operation
id, 4429 duplicate ``connection_init``.

Identical subscriptions share work: every subscription with the same document, operation
name, variables and authorization scope in this process runs ONE execution, and each event is
serialised ONCE; each socket only wraps that string with its own operation id. A late joiner
immediately receives the execution's latest result (the "last value" of the stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import ASTValidationRule
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.types.execution import ExecutionResult, PreExecutionError

from fiscus.config import RealtimeSettings
from fiscus.domain.errors import AuthenticationFailed
from fiscus.domain.identity import Principal
from fiscus.observability import metrics
from fiscus.realtime import channels
from fiscus.realtime.hub import Hub
from fiscus.transport.errors import is_client_safe, masked_error, unexpected_error

logger = logging.getLogger(__name__)

SUBPROTOCOL = "graphql-transport-ws"
PUBLIC_SCOPE_METADATA = {"fiscus_realtime_scope": "public"}
"""Mark a subscription field whose result is identical for every authenticated principal:
``@strawberry.subscription(metadata=PUBLIC_SCOPE_METADATA)``. Its executions are then shared
across users and tenants, and its resolver and permission classes run only for the first
subscriber of each shared execution, with that subscriber's context."""

Authenticate = Callable[[dict[str, Any]], Awaitable[Principal]]
Revalidate = Callable[[Principal], Awaitable[Principal | None]]
ContextFactory = Callable[[Principal], Awaitable[Any]]

_MAX_CLOSE_REASON_BYTES = 123
_DOCUMENT_CACHE_SIZE = 512


class _ProtocolViolation(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ExecutionKey:
    query: str
    operation_name: str | None
    variables_json: str
    scope: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Request:
    query: str
    operation_name: str | None
    variables: dict[str, Any]
    operation: OperationDefinitionNode


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


def _errors_json(errors: Sequence[GraphQLError]) -> str:
    return _dumps([visible_error(error) for error in errors])


def _result_json(result: ExecutionResult) -> str:
    """Serialise a result once; every socket receives the very same string."""
    document: dict[str, Any] = {"data": result.data}
    if result.errors:
        document["errors"] = [visible_error(error) for error in result.errors]
    if result.extensions:
        document["extensions"] = result.extensions
    return _dumps(document)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _frame(op_id: str, kind: str, payload_json: str) -> str:
    return '{"id":' + json.dumps(op_id) + ',"type":"' + kind + '","payload":' + payload_json + "}"


def _complete_frame(op_id: str) -> str:
    return '{"id":' + json.dumps(op_id) + ',"type":"complete"}'


def _unexpected_errors_json() -> str:
    return _dumps([unexpected_error()])


# -- the per-socket outbound queue -----------------------------------------------------------


class OutboundQueue:
    """Frames waiting for one socket. ``next`` frames are bounded: when ``capacity`` of them
    are waiting, the oldest one of the same operation (else the oldest overall) is dropped.
    Control frames (ack, error, complete) are never dropped; pongs are dropped when full."""

    def __init__(self, capacity: int) -> None:
        self._capacity = max(capacity, 1)
        self._frames: deque[tuple[str | None, str]] = deque()
        self._next_frames = 0
        self._wakeup = asyncio.Event()

    def put_next(self, op_id: str, frame: str) -> None:
        if self._next_frames >= self._capacity:
            self._drop_one_next(op_id)
        self._frames.append((op_id, frame))
        self._next_frames += 1
        self._wakeup.set()

    def put_control(self, frame: str) -> None:
        self._frames.append((None, frame))
        self._wakeup.set()

    def put_pong(self, frame: str) -> None:
        if len(self._frames) < self._capacity:
            self.put_control(frame)

    async def get(self) -> tuple[str | None, str]:
        while not self._frames:
            self._wakeup.clear()
            await self._wakeup.wait()
        op_id, frame = self._frames.popleft()
        if op_id is not None:
            self._next_frames -= 1
        return op_id, frame

    def __len__(self) -> int:
        return len(self._frames)

    def _drop_one_next(self, op_id: str) -> None:
        victim = next((i for i, (owner, _) in enumerate(self._frames) if owner == op_id), None)
        if victim is None:
            victim = next(i for i, (owner, _) in enumerate(self._frames) if owner is not None)
        del self._frames[victim]
        self._next_frames -= 1
        metrics.messages_dropped.inc()


# -- shared subscription executions ----------------------------------------------------------


class _StreamSink:
    """One subscribed operation of one socket, attached to a shared execution."""

    def __init__(self, connection: _Connection, op_id: str) -> None:
        self.connection = connection
        self.op_id = op_id

    def next(self, payload_json: str) -> None:
        self.connection.outbound.put_next(self.op_id, _frame(self.op_id, "next", payload_json))

    def error(self, payload_json: str) -> None:
        self.connection.finish_operation(self.op_id, _frame(self.op_id, "error", payload_json))

    def complete(self) -> None:
        self.connection.finish_operation(self.op_id, _complete_frame(self.op_id))


class SharedExecution:
    def __init__(
        self,
        registry: SharedExecutions,
        key: ExecutionKey,
        request: _Request,
        principal: Principal,
    ) -> None:
        self.key = key
        self.sinks: set[_StreamSink] = set()
        self.latest_json: str | None = None
        self._registry = registry
        self._request = request
        self._principal = principal
        self._finished = False
        self._task = asyncio.create_task(self._run(), name=f"subscription {key.operation_name}")

    def add(self, sink: _StreamSink) -> None:
        self.sinks.add(sink)
        if self.latest_json is not None:
            sink.next(self.latest_json)

    def remove(self, sink: _StreamSink) -> None:
        self.sinks.discard(sink)
        if not self.sinks and not self._finished:
            self._finished = True
            self._registry._forget(self)
            self._task.cancel()

    async def _run(self) -> None:
        try:
            await self._stream()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Shared subscription execution failed")
            self._finish(
                functools.partial(_StreamSink.error, payload_json=_unexpected_errors_json())
            )
            return
        self._finish(_StreamSink.complete)

    async def _stream(self) -> None:
        context = await self._registry.context_factory(self._principal)
        results = await self._registry.schema.subscribe(
            self._request.query,
            variable_values=self._request.variables,
            context_value=context,
            operation_name=self._request.operation_name,
        )
        async with aclosing(results):
            async for result in results:
                if isinstance(result, PreExecutionError):
                    errors = _errors_json(result.errors or [])
                    self._finish(functools.partial(_StreamSink.error, payload_json=errors))
                    return
                self._broadcast(_result_json(result))
                _next_event(context)

    def _broadcast(self, payload_json: str) -> None:
        self.latest_json = payload_json
        self._registry.events_executed += 1
        for sink in list(self.sinks):
            sink.next(payload_json)

    def _finish(self, notify: Callable[[_StreamSink], None]) -> None:
        if self._finished:
            return
        self._finished = True
        self._registry._forget(self)
        for sink in list(self.sinks):
            notify(sink)
        self.sinks.clear()


class SharedExecutions:
    """Running subscription executions of this process, keyed by what makes them identical."""

    def __init__(self, schema: strawberry.Schema, context_factory: ContextFactory) -> None:
        self.schema = schema
        self.context_factory = context_factory
        self.executions_started = 0
        self.events_executed = 0
        self._running: dict[ExecutionKey, SharedExecution] = {}

    def join(
        self, key: ExecutionKey, request: _Request, principal: Principal, sink: _StreamSink
    ) -> SharedExecution:
        execution = self._running.get(key)
        if execution is None:
            execution = SharedExecution(self, key, request, principal)
            self._running[key] = execution
            self.executions_started += 1
        execution.add(sink)
        return execution

    def __len__(self) -> int:
        return len(self._running)

    def _forget(self, execution: SharedExecution) -> None:
        if self._running.get(execution.key) is execution:
            del self._running[execution.key]


# -- the endpoint ----------------------------------------------------------------------------


class GraphQLWebSocketEndpoint:
    """ASGI app for ``WebSocketRoute("/graphql", endpoint)``."""

    def __init__(
        self,
        schema: strawberry.Schema,
        *,
        hub: Hub,
        authenticate: Authenticate,
        revalidate: Revalidate,
        context_factory: ContextFactory,
        settings: RealtimeSettings,
        validation_rules: Sequence[type[ASTValidationRule]] = (),
        parse_document: Callable[[str], DocumentNode] = parse,
        hide_suggestions: bool = False,
    ) -> None:
        """``validation_rules`` are added to graphql-core's standard rules (a complete list
        that already contains them is fine). ``parse_document`` may enforce size limits."""
        self.schema = schema
        self.hub = hub
        self.authenticate = authenticate
        self.revalidate = revalidate
        self.context_factory = context_factory
        self.settings = settings
        self.executions = SharedExecutions(schema, context_factory)
        self._rules = (
            *specified_rules,
            *(rule for rule in validation_rules if rule not in specified_rules),
        )
        self._parse = parse_document
        self._hide_suggestions = hide_suggestions
        self._documents: dict[str, DocumentNode | list[GraphQLError]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.handle(WebSocket(scope, receive, send))

    async def handle(self, websocket: WebSocket) -> None:
        if SUBPROTOCOL not in websocket.scope.get("subprotocols", []):
            await websocket.accept()
            await websocket.close(4406, "Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=SUBPROTOCOL)
        metrics.websockets_open.inc()
        try:
            await _Connection(self, websocket).serve()
        finally:
            metrics.websockets_open.dec()

    def prepare(
        self, query: str, operation_name: str | None
    ) -> OperationDefinitionNode | list[GraphQLError]:
        document = self._validated_document(query)
        if isinstance(document, list):
            return document
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f"Unknown operation named '{operation_name}'."
                if operation_name
                else "Must provide operation name if query contains multiple operations."
            )
            return [GraphQLError(message)]
        return operation

    def authorization_scope(
        self, principal: Principal, operation: OperationDefinitionNode
    ) -> tuple[str, ...]:
        if self._is_public(operation):
            return ()
        return (str(principal.org_id), principal.role.value, str(principal.user_id))

    def _validated_document(self, query: str) -> DocumentNode | list[GraphQLError]:
        cached = self._documents.get(query)
        if cached is not None:
            return cached
        try:
            document: DocumentNode | list[GraphQLError] = self._parse(query)
        except GraphQLError as error:
            document = [error]
        if not isinstance(document, list):
            errors = validate(
                self.schema._schema,
                document,
                self._rules,
                hide_suggestions=self._hide_suggestions,
            )
            document = errors if errors else document
        if len(self._documents) >= _DOCUMENT_CACHE_SIZE:
            del self._documents[next(iter(self._documents))]
        self._documents[query] = document
        return document

    def _is_public(self, operation: OperationDefinitionNode) -> bool:
        root = self.schema._schema.subscription_type
        selections = operation.selection_set.selections
        if root is None or len(selections) != 1 or not isinstance(selections[0], FieldNode):
            return False
        field = root.fields.get(selections[0].name.value)
        definition = field.extensions.get("strawberry-definition") if field else None
        metadata = getattr(definition, "metadata", None) or {}
        return all(metadata.get(key) == value for key, value in PUBLIC_SCOPE_METADATA.items())


class _Operation:
    def stop(self) -> None:
        """The client completed it or the socket closed."""
        self.release()

    def release(self) -> None:
        """It finished on the server side."""


class _SingleOperation(_Operation):
    def __init__(self, task: asyncio.Task[None]) -> None:
        self._task = task

    def stop(self) -> None:
        self._task.cancel()


class _StreamOperation(_Operation):
    def __init__(self, connection: _Connection, sink: _StreamSink) -> None:
        self.execution: SharedExecution | None = None
        self._connection = connection
        self._sink = sink

    def stop(self) -> None:
        self.release()
        if self.execution is not None:
            self.execution.remove(self._sink)

    def release(self) -> None:
        self._connection._streams -= 1
        metrics.subscriptions_active.dec()


class _Connection:
    def __init__(self, endpoint: GraphQLWebSocketEndpoint, websocket: WebSocket) -> None:
        self.endpoint = endpoint
        self.websocket = websocket
        self.outbound = OutboundQueue(endpoint.settings.subscriber_queue_size)
        self.principal: Principal | None = None
        self._init_received = False
        self._operations: dict[str, _Operation] = {}
        self._streams = 0
        self._closing: asyncio.Future[tuple[int, str] | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._tasks: set[asyncio.Task[None]] = set()

    async def serve(self) -> None:
        self._spawn(self._write_loop())
        self._spawn(self._close_unless_acknowledged())
        receiver = asyncio.create_task(self._receive_loop())
        try:
            watched: set[asyncio.Future[Any]] = {receiver, self._closing}
            await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        finally:
            receiver.cancel()
            await self._shutdown()

    def close(self, code: int, reason: str) -> None:
        if not self._closing.done():
            self._closing.set_result((code, reason))

    def finish_operation(self, op_id: str, frame: str) -> None:
        operation = self._operations.pop(op_id, None)
        if operation is not None:
            operation.release()
            self.outbound.put_control(frame)

    def _mark_client_gone(self) -> None:
        if not self._closing.done():
            self._closing.set_result(None)

    # -- receiving ---------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        while not self._closing.done():
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                self._mark_client_gone()
                return
            try:
                await self._handle(_parse_message(message.get("text")))
            except _ProtocolViolation as violation:
                self.close(violation.code, violation.reason)
            except Exception:
                logger.exception("WebSocket message handling failed")
                self.close(1011, "Internal error")

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "connection_init":
            await self._on_init(message)
        elif kind == "ping":
            self.outbound.put_pong(_dumps(_with_payload({"type": "pong"}, message)))
        elif kind == "pong":
            pass
        elif kind == "subscribe":
            self._on_subscribe(message)
        elif kind == "complete":
            self._on_complete(_operation_id(message))
        else:
            raise _ProtocolViolation(4400, f"Unexpected message of type {kind} received")

    async def _on_init(self, message: dict[str, Any]) -> None:
        if self._init_received:
            raise _ProtocolViolation(4429, "Too many initialisation requests")
        self._init_received = True
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            raise _ProtocolViolation(4400, "connection_init payload must be an object")
        try:
            principal = await self.endpoint.authenticate(payload)
        except AuthenticationFailed:
            raise _ProtocolViolation(4403, "Forbidden") from None
        if _seconds_until(principal.expires_at) <= 0:
            raise _ProtocolViolation(4403, "Forbidden")
        self.principal = principal
        self.outbound.put_control('{"type":"connection_ack"}')
        self._spawn(self._close_when_expired(principal))
        self._spawn(self._close_when_access_revoked(principal))

    def _on_subscribe(self, message: dict[str, Any]) -> None:
        if self.principal is None:
            raise _ProtocolViolation(4401, "Unauthorized")
        op_id = _operation_id(message)
        query, operation_name, variables = _subscribe_payload(message)
        if op_id in self._operations:
            raise _ProtocolViolation(4409, f"Subscriber for {op_id} already exists")
        prepared = self.endpoint.prepare(query, operation_name)
        if isinstance(prepared, list):
            self.outbound.put_control(_frame(op_id, "error", _errors_json(prepared)))
            return
        request = _Request(query, operation_name, variables, prepared)
        if request.operation.operation == OperationType.SUBSCRIPTION:
            self._start_stream(op_id, request, self.principal)
        else:
            self._start_single(op_id, request, self.principal)

    def _on_complete(self, op_id: str) -> None:
        operation = self._operations.pop(op_id, None)
        if operation is not None:
            operation.stop()

    # -- operations --------------------------------------------------------------------------

    def _start_stream(self, op_id: str, request: _Request, principal: Principal) -> None:
        limit = self.endpoint.settings.max_subscriptions_per_socket
        if self._streams >= limit:
            message = f"Too many subscriptions on one connection (at most {limit})."
            self.outbound.put_control(_frame(op_id, "error", _dumps([{"message": message}])))
            return
        key = ExecutionKey(
            query=request.query,
            operation_name=request.operation_name,
            variables_json=json.dumps(request.variables, sort_keys=True, separators=(",", ":")),
            scope=self.endpoint.authorization_scope(principal, request.operation),
        )
        sink = _StreamSink(self, op_id)
        operation = _StreamOperation(self, sink)
        self._operations[op_id] = operation
        self._streams += 1
        metrics.subscriptions_active.inc()
        operation.execution = self.endpoint.executions.join(key, request, principal, sink)

    def _start_single(self, op_id: str, request: _Request, principal: Principal) -> None:
        task = asyncio.create_task(self._execute_once(op_id, request, principal))
        self._operations[op_id] = _SingleOperation(task)

    async def _execute_once(self, op_id: str, request: _Request, principal: Principal) -> None:
        try:
            context = await self.endpoint.context_factory(principal)
            result = await self.endpoint.schema.execute(
                request.query,
                variable_values=request.variables,
                context_value=context,
                operation_name=request.operation_name,
            )
        except Exception:
            logger.exception("WebSocket operation failed")
            self.finish_operation(op_id, _frame(op_id, "error", _unexpected_errors_json()))
            return
        if op_id in self._operations:
            self.outbound.put_next(op_id, _frame(op_id, "next", _result_json(result)))
            self.finish_operation(op_id, _complete_frame(op_id))

    # -- background duties -------------------------------------------------------------------

    async def _write_loop(self) -> None:
        while True:
            op_id, frame = await self.outbound.get()
            try:
                await self.websocket.send_text(frame)
            except (WebSocketDisconnect, RuntimeError, OSError):
                self._mark_client_gone()
                return
            if op_id is not None:
                metrics.messages_delivered.inc()

    async def _close_unless_acknowledged(self) -> None:
        await asyncio.sleep(self.endpoint.settings.init_timeout_seconds)
        if self.principal is None:
            self.close(4408, "Connection initialisation timeout")

    async def _close_when_expired(self, principal: Principal) -> None:
        await asyncio.sleep(_seconds_until(principal.expires_at))
        self.close(4403, "Forbidden")

    async def _close_when_access_revoked(self, principal: Principal) -> None:
        """Re-check access whenever the user's access channel fires (its snapshot included,
        which also covers a revocation that raced the authentication)."""
        access = channels.user_access(principal.user_id)
        try:
            async with self.endpoint.hub.subscribe(access) as changes:
                async for _ in changes:
                    current = await self.endpoint.revalidate(principal)
                    if not _same_access(principal, current):
                        self.close(4403, "Forbidden")
                        return
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Could not re-check WebSocket access; closing the socket")
            self.close(1011, "Internal error")

    # -- shutdown ----------------------------------------------------------------------------

    async def _shutdown(self) -> None:
        operations = list(self._operations.values())
        self._operations.clear()
        for operation in operations:
            operation.stop()
        close = self._closing.result() if self._closing.done() else None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if close is not None and self.websocket.client_state == WebSocketState.CONNECTED:
            code, reason = close
            with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
                await self.websocket.close(code, _truncate(reason))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


# -- message validation ----------------------------------------------------------------------


def _parse_message(text: str | None) -> dict[str, Any]:
    if text is None:
        raise _ProtocolViolation(4400, "Binary messages are not supported")
    try:
        message = json.loads(text)
    except ValueError:
        raise _ProtocolViolation(4400, "Invalid message received") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise _ProtocolViolation(4400, "Invalid message received")
    return message


def _operation_id(message: dict[str, Any]) -> str:
    op_id = message.get("id")
    if not isinstance(op_id, str) or not op_id:
        raise _ProtocolViolation(4400, f"{message['type']} message must have a string id")
    return op_id


def _subscribe_payload(message: dict[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    payload = message.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        raise _ProtocolViolation(4400, "subscribe payload must have a string query")
    operation_name = payload.get("operationName")
    variables = payload.get("variables")
    if operation_name is not None and not isinstance(operation_name, str):
        raise _ProtocolViolation(4400, "operationName must be a string")
    if variables is not None and not isinstance(variables, dict):
        raise _ProtocolViolation(4400, "variables must be an object")
    return payload["query"], operation_name, variables or {}


def _with_payload(frame: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    if isinstance(message.get("payload"), dict):
        frame["payload"] = message["payload"]
    return frame


def _same_access(before: Principal, after: Principal | None) -> bool:
    return after is not None and (after.org_id, after.role) == (before.org_id, before.role)


def _seconds_until(moment: datetime) -> float:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - datetime.now(UTC)).total_seconds()


def _truncate(reason: str) -> str:
    encoded = reason.encode()
    if len(encoded) <= _MAX_CLOSE_REASON_BYTES:
        return reason
    return encoded[: _MAX_CLOSE_REASON_BYTES - 3].decode(errors="ignore") + "..."


def _next_event(context: Any) -> None:
    """Contexts may keep per-event state (DataLoaders): give the next event a fresh one."""
    next_event = getattr(context, "next_event", None)
    if next_event is not None:
        next_event()
