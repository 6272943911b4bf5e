"""One socket speaking graphql-transport-ws: its operations, writer and access watch.

Every operation is authorized with the caller's role *when it starts*: the principal from
``connection_init`` is re-confirmed against the database (session live, current role) for
each query, mutation and new subscription, exactly as each HTTP request is.

At most ``max_operations_per_socket`` queries and mutations run at once per socket. While
that many run, the connection stops reading the socket (backpressure: the client's further
messages wait in its TCP buffers, not in server memory) until one finishes. Subscriptions
are bounded separately (``max_subscriptions_per_socket``; over it, an ``error`` frame).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, OperationType
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from fiscus.domain.errors import AuthenticationFailed
from fiscus.domain.identity import Principal
from fiscus.observability import metrics
from fiscus.realtime import channels
from fiscus.transport.execution import execute_validated
from fiscus.transport.websocket.executions import (
    ExecutionKey,
    SharedExecution,
    StreamSink,
    SubscribeRequest,
)
from fiscus.transport.websocket.messages import (
    ProtocolViolation,
    complete_frame,
    dumps,
    errors_json,
    frame,
    operation_id,
    parse_message,
    result_json,
    session_ended_json,
    subscribe_payload,
    truncate_reason,
    unexpected_errors_json,
    with_payload,
)
from fiscus.transport.websocket.outbound import OutboundQueue
from fiscus.transport.websocket.split import SplitPlan

if TYPE_CHECKING:
    from fiscus.transport.websocket.endpoint import GraphQLWebSocketEndpoint

logger = logging.getLogger(__name__)


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
    def __init__(self, connection: Connection, sink: StreamSink) -> None:
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


class _SplitStreamOperation(_Operation):
    """One client operation fed by several shared executions (one per list item)."""

    def __init__(self, connection: Connection) -> None:
        self.parts: list[tuple[SharedExecution, StreamSink]] = []
        self._connection = connection
        self._released = False

    def stop(self) -> None:
        self.release()

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        self._connection._streams -= 1
        metrics.subscriptions_active.dec()
        for execution, sink in self.parts:
            execution.remove(sink)
        self.parts.clear()


class Connection:
    def __init__(self, endpoint: GraphQLWebSocketEndpoint, websocket: WebSocket) -> None:
        self.endpoint = endpoint
        self.websocket = websocket
        self.outbound = OutboundQueue(endpoint.settings.subscriber_queue_size)
        self.principal: Principal | None = None
        self.client_address = websocket.client.host if websocket.client else None
        self._running = asyncio.Semaphore(max(endpoint.settings.max_operations_per_socket, 1))
        self._init_received = False
        self._operations: dict[str, _Operation] = {}
        self._streams = 0
        self._closing: asyncio.Future[tuple[int, str] | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._tasks: set[asyncio.Task[None]] = set()

    async def serve(self) -> None:
        self._spawn(self._write_loop())
        self._spawn(self._close_unless_initialised())
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
            text = message.get("text")
            if text is not None and len(text) > self.endpoint.settings.max_message_bytes:
                self.close(1009, "Message too big")
                return
            try:
                await self._handle(parse_message(text))
            except ProtocolViolation as violation:
                self.close(violation.code, violation.reason)
            except Exception:
                logger.exception("WebSocket message handling failed")
                self.close(1011, "Internal error")

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "connection_init":
            await self._on_init(message)
        elif kind == "ping":
            self.outbound.put_pong(dumps(with_payload({"type": "pong"}, message)))
        elif kind == "pong":
            pass
        elif kind == "subscribe":
            await self._on_subscribe(message)
        elif kind == "complete":
            self._on_complete(operation_id(message))
        else:
            raise ProtocolViolation(4400, f"Unexpected message of type {kind} received")

    async def _on_init(self, message: dict[str, Any]) -> None:
        if self._init_received:
            raise ProtocolViolation(4429, "Too many initialisation requests")
        self._init_received = True
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            raise ProtocolViolation(4400, "connection_init payload must be an object")
        try:
            principal = await asyncio.wait_for(
                self.endpoint.authenticate(payload), self.endpoint.settings.auth_timeout_seconds
            )
        except AuthenticationFailed:
            raise ProtocolViolation(4403, "Forbidden") from None
        except TimeoutError:
            raise ProtocolViolation(1013, "Try again later") from None
        if _seconds_until(principal.expires_at) <= 0:
            raise ProtocolViolation(4403, "Forbidden")
        self.principal = principal
        self.outbound.put_control('{"type":"connection_ack"}')
        self._spawn(self._close_when_expired(principal))
        self._spawn(self._close_when_access_revoked(principal))

    async def _on_subscribe(self, message: dict[str, Any]) -> None:
        if self.principal is None:
            raise ProtocolViolation(4401, "Unauthorized")
        op_id = operation_id(message)
        query, operation_name, variables = subscribe_payload(message)
        if op_id in self._operations:
            raise ProtocolViolation(4409, f"Subscriber for {op_id} already exists")
        prepared = self.endpoint.prepare(query, operation_name, variables)
        if isinstance(prepared, list):
            self.outbound.put_control(frame(op_id, "error", errors_json(prepared)))
            return
        document, operation = prepared
        request = SubscribeRequest(
            query, operation_name, variables, document, operation, self.client_address
        )
        if request.operation.operation == OperationType.SUBSCRIPTION:
            await self._start_stream(op_id, request)
        else:
            await self._start_single(op_id, request)

    def _on_complete(self, op_id: str) -> None:
        operation = self._operations.pop(op_id, None)
        if operation is not None:
            operation.stop()

    # -- operations --------------------------------------------------------------------------

    async def _current_principal(self, op_id: str) -> Principal | None:
        """The caller as the database knows them now. When their session ended (or they left
        the organization) the operation is refused and the socket closed with 4403."""
        assert self.principal is not None
        current = await self.endpoint.revalidate(self.principal)
        if current is None:
            self.outbound.put_control(frame(op_id, "error", session_ended_json()))
            self.close(4403, "Forbidden")
            return None
        return current

    async def _start_stream(self, op_id: str, request: SubscribeRequest) -> None:
        limit = self.endpoint.settings.max_subscriptions_per_socket
        if self._streams >= limit:
            message = f"Too many subscriptions on one connection (at most {limit})."
            self.outbound.put_control(frame(op_id, "error", dumps([{"message": message}])))
            return
        try:
            principal = await self._current_principal(op_id)
        except Exception:
            logger.exception("Could not confirm the caller of a WebSocket subscription")
            self.outbound.put_control(frame(op_id, "error", unexpected_errors_json()))
            return
        if principal is None:
            return
        plan = self.endpoint.split_plan(
            request.query, request.operation_name, request.document, request.operation
        )
        if plan is not None:
            await self._start_split_stream(op_id, request, principal, plan)
            return
        key = ExecutionKey(
            query=request.query,
            operation_name=request.operation_name,
            variables_json=_canonical_json(request.variables),
            scope=self.endpoint.authorization_scope(principal, request.operation),
        )
        sink = StreamSink(self, op_id)
        operation = _StreamOperation(self, sink)
        self._operations[op_id] = operation
        self._streams += 1
        metrics.subscriptions_active.inc()
        operation.execution = self.endpoint.executions.join(key, request, principal, sink)

    async def _start_split_stream(
        self, op_id: str, request: SubscribeRequest, principal: Principal, plan: SplitPlan
    ) -> None:
        """One shared execution per item of the split argument (see ``split.py``); the
        whole list is validated once, with this subscriber's context, before any starts."""
        try:
            context = await self.endpoint.context_factory(principal, request.client_address)
            value = plan.argument_value(
                self.endpoint.schema._schema, request.operation, request.variables
            )
            items = await plan.split.prepare(context, value)
        except GraphQLError as error:
            self.outbound.put_control(frame(op_id, "error", errors_json([error])))
            return
        except Exception:
            logger.exception("Could not prepare a split WebSocket subscription")
            self.outbound.put_control(frame(op_id, "error", unexpected_errors_json()))
            return
        if op_id in self._operations or self._closing.done():
            return
        operation = _SplitStreamOperation(self)
        self._operations[op_id] = operation
        self._streams += 1
        metrics.subscriptions_active.inc()
        variables = plan.template.variables_of(request.variables)
        variables_json = _canonical_json(variables)
        for item in items:
            query = plan.template.bind(item)
            part = SubscribeRequest(
                query,
                None,
                variables,
                request.document,
                request.operation,
                request.client_address,
            )
            key = ExecutionKey(query, None, variables_json, ())
            sink = StreamSink(self, op_id, conflate_key=item)
            execution = self.endpoint.executions.join(key, part, principal, sink)
            if operation._released:
                execution.remove(sink)  # an earlier part already failed or completed
                return
            operation.parts.append((execution, sink))

    async def _start_single(self, op_id: str, request: SubscribeRequest) -> None:
        await self._running.acquire()  # backpressure: read nothing more until a slot frees
        task = asyncio.create_task(self._execute_once(op_id, request))
        task.add_done_callback(lambda _: self._running.release())
        self._operations[op_id] = _SingleOperation(task)

    async def _execute_once(self, op_id: str, request: SubscribeRequest) -> None:
        try:
            principal = await self._current_principal(op_id)
            if principal is None:
                self._operations.pop(op_id, None)
                return
            context = await self.endpoint.context_factory(principal, request.client_address)
            result = await execute_validated(
                self.endpoint.schema,
                request.document,
                operation_name=request.operation_name,
                variables=request.variables,
                context=context,
            )
        except Exception:
            logger.exception("WebSocket operation failed")
            self.finish_operation(op_id, frame(op_id, "error", unexpected_errors_json()))
            return
        if op_id in self._operations:
            self.outbound.put_next(op_id, frame(op_id, "next", result_json(result)))
            self.finish_operation(op_id, complete_frame(op_id))

    # -- background duties -------------------------------------------------------------------

    async def _write_loop(self) -> None:
        """Writes every waiting frame, then waits. Frames go to the ASGI ``send`` directly:
        between ``accept`` and ``close`` only text frames are sent here, so Starlette's
        per-message state checks add nothing but cost."""
        send = self.websocket._send
        outbound = self.outbound
        while True:
            await outbound.wait()
            delivered = 0
            try:
                while (item := outbound.get_nowait()) is not None:
                    op_id, frame = item
                    await send({"type": "websocket.send", "text": frame})
                    if op_id is not None:
                        delivered += 1
            except (WebSocketDisconnect, RuntimeError, OSError):
                self._mark_client_gone()
                return
            finally:
                if delivered:
                    metrics.messages_delivered.inc(delivered)

    async def _close_unless_initialised(self) -> None:
        """4408 when the client sent no ``connection_init`` in time (as graphql-ws does).
        Once it did, a server slow to authenticate it (a reconnect storm) is bounded by
        ``auth_timeout_seconds`` instead, and answers 1013 (try again later)."""
        await asyncio.sleep(self.endpoint.settings.init_timeout_seconds)
        if not self._init_received:
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
                await self.websocket.close(code, truncate_reason(reason))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _canonical_json(variables: dict[str, Any]) -> str:
    return json.dumps(variables, sort_keys=True, separators=(",", ":"))


def _same_access(before: Principal, after: Principal | None) -> bool:
    return after is not None and (after.org_id, after.role) == (before.org_id, before.role)


def _seconds_until(moment: datetime) -> float:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - datetime.now(UTC)).total_seconds()
