"""Shared subscription executions: one per identical subscription in this process."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import DocumentNode, OperationDefinitionNode
from strawberry.types.execution import PreExecutionError

from fiscus.domain.identity import Principal
from fiscus.transport.websocket.messages import (
    complete_frame,
    errors_json,
    frame,
    next_frame_prefix,
    result_json,
    unexpected_errors_json,
)

if TYPE_CHECKING:
    from fiscus.transport.websocket.connection import Connection

logger = logging.getLogger(__name__)


PUBLIC_SCOPE_METADATA = {"fiscus_realtime_scope": "public"}
"""Mark a subscription field whose result is identical for every authenticated principal:
``@strawberry.subscription(metadata=PUBLIC_SCOPE_METADATA)``. Its executions are then shared
across users and tenants, and its resolver and permission classes run only for the first
subscriber of each shared execution, with that subscriber's context."""

ROLE_SCOPE_METADATA = {"fiscus_realtime_scope": "role"}
"""Mark a subscription field whose result is identical for every member of one organization
with one role (what they may see depends on nothing else: permissions follow the role,
rows the organization). Its executions are shared by those members; its resolver and
permission classes run for the first subscriber of each shared execution."""


ContextFactory = Callable[[Principal, str | None], Awaitable[Any]]
"""``(principal, client_address)`` -> the operation's GraphQL context."""


@dataclass(frozen=True, slots=True)
class ExecutionKey:
    query: str
    operation_name: str | None
    variables_json: str
    scope: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SubscribeRequest:
    query: str
    operation_name: str | None
    variables: dict[str, Any]
    document: DocumentNode
    operation: OperationDefinitionNode
    client_address: str | None = None


# -- shared subscription executions ----------------------------------------------------------


class StreamSink:
    """One subscribed operation of one socket (or one part of a split operation), attached
    to a shared execution. ``conflate_key`` names the part: a pending frame of the same
    part is replaced by a newer one (latest wins per symbol, not per operation)."""

    __slots__ = ("_outbound", "_prefix", "conflate_key", "connection", "op_id")

    def __init__(self, connection: Connection, op_id: str, conflate_key: Any = None) -> None:
        self.connection = connection
        self.op_id = op_id
        self.conflate_key = conflate_key
        self._outbound = connection.outbound
        self._prefix = next_frame_prefix(op_id)

    def next(self, payload_json: str) -> None:
        self._outbound.put_next(self.op_id, self._prefix + payload_json + "}", self.conflate_key)

    def error(self, payload_json: str) -> None:
        self.connection.finish_operation(self.op_id, frame(self.op_id, "error", payload_json))

    def complete(self) -> None:
        self.connection.finish_operation(self.op_id, complete_frame(self.op_id))


class SharedExecution:
    def __init__(
        self,
        registry: SharedExecutions,
        key: ExecutionKey,
        request: SubscribeRequest,
        principal: Principal,
    ) -> None:
        self.key = key
        self.sinks: set[StreamSink] = set()
        self.latest_json: str | None = None
        self._registry = registry
        self._request = request
        self._principal = principal
        self._finished = False
        self._task = asyncio.create_task(self._run(), name=f"subscription {key.operation_name}")

    def add(self, sink: StreamSink) -> None:
        self.sinks.add(sink)
        if self.latest_json is not None:
            sink.next(self.latest_json)

    def remove(self, sink: StreamSink) -> None:
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
            self._finish(functools.partial(StreamSink.error, payload_json=unexpected_errors_json()))
            return
        self._finish(StreamSink.complete)

    async def _stream(self) -> None:
        context = await self._registry.context_factory(
            self._principal, self._request.client_address
        )
        results = await self._registry.schema.subscribe(
            self._request.query,
            variable_values=self._request.variables,
            context_value=context,
            operation_name=self._request.operation_name,
        )
        async with aclosing(results):
            async for result in results:
                if isinstance(result, PreExecutionError):
                    errors = errors_json(result.errors or [])
                    self._finish(functools.partial(StreamSink.error, payload_json=errors))
                    return
                self._broadcast(result_json(result))
                next_event_of(context)
                # A backlog in the hub's queue would otherwise be drained without ever
                # suspending: let socket writes and new subscriptions run between events.
                await asyncio.sleep(0)

    def _broadcast(self, payload_json: str) -> None:
        self.latest_json = payload_json
        self._registry.events_executed += 1
        for sink in list(self.sinks):
            sink.next(payload_json)

    def _finish(self, notify: Callable[[StreamSink], None]) -> None:
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
        self, key: ExecutionKey, request: SubscribeRequest, principal: Principal, sink: StreamSink
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


def next_event_of(context: Any) -> None:
    """Contexts may keep per-event state (DataLoaders): give the next event a fresh one."""
    next_event = getattr(context, "next_event", None)
    if next_event is not None:
        next_event()
