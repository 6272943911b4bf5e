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

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    OperationDefinitionNode,
    get_operation_ast,
    specified_rules,
    validate,
)
from graphql.validation import ASTValidationRule
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from fiscus.config import RealtimeSettings
from fiscus.domain.identity import Principal
from fiscus.observability import metrics
from fiscus.realtime.hub import Hub
from fiscus.schema.limits import QueryLimits, parse_document
from fiscus.transport.documents import DocumentCache
from fiscus.transport.variables import check_variables
from fiscus.transport.websocket.admission import Admission
from fiscus.transport.websocket.connection import Connection
from fiscus.transport.websocket.executions import (
    PUBLIC_SCOPE_METADATA,
    ROLE_SCOPE_METADATA,
    ContextFactory,
    SharedExecutions,
)
from fiscus.transport.websocket.messages import SUBPROTOCOL
from fiscus.transport.websocket.split import SplitPlan, SplitPlanner

logger = logging.getLogger(__name__)


CACHED_DOCUMENTS = 512
CACHED_DOCUMENT_BYTES = 256 * 1024

Authenticate = Callable[[dict[str, Any]], Awaitable[Principal]]
Revalidate = Callable[[Principal], Awaitable[Principal | None]]


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
        limits: QueryLimits | None = None,
        hide_suggestions: bool = False,
        cached_documents: int = CACHED_DOCUMENTS,
        cached_document_bytes: int = CACHED_DOCUMENT_BYTES,
    ) -> None:
        """``validation_rules`` are added to graphql-core's standard rules (a complete list
        that already contains them is fine). ``limits`` bound document size and tokens
        (before parsing) and variables (list lengths, nesting); the depth, alias and cost
        limits are validation rules, passed in ``validation_rules``."""
        self.schema = schema
        self.hub = hub
        self.admission = Admission(
            authenticate, revalidate, concurrency=settings.max_concurrent_authentications
        )
        self.authenticate = self.admission.authenticate
        self.revalidate = self.admission.revalidate
        self.context_factory = context_factory
        self.settings = settings
        self.executions = SharedExecutions(schema, context_factory)
        self.splits = SplitPlanner()
        self._rules = (
            *specified_rules,
            *(rule for rule in validation_rules if rule not in specified_rules),
        )
        self.limits = limits or QueryLimits()
        self._hide_suggestions = hide_suggestions
        self.documents: DocumentCache[str, DocumentNode | list[GraphQLError]] = DocumentCache(
            max_entries=cached_documents, max_bytes=cached_document_bytes
        )

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
            await Connection(self, websocket).serve()
        finally:
            metrics.websockets_open.dec()

    def prepare(
        self, query: str, operation_name: str | None, variables: dict[str, Any]
    ) -> tuple[DocumentNode, OperationDefinitionNode] | list[GraphQLError]:
        """The validated document and its operation to run, or the errors to answer
        (document or variables)."""
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
        errors = check_variables(
            self.schema._schema,
            operation,
            variables,
            self.limits,
            hide_suggestions=self._hide_suggestions,
        )
        return errors or (document, operation)

    def authorization_scope(
        self, principal: Principal, operation: OperationDefinitionNode
    ) -> tuple[str, ...]:
        if self._is_public(operation):
            return ()
        if self._has_scope(operation, ROLE_SCOPE_METADATA):
            return (str(principal.org_id), principal.role.value)
        return (str(principal.org_id), principal.role.value, str(principal.user_id))

    def _validated_document(self, query: str) -> DocumentNode | list[GraphQLError]:
        """Size and syntax errors are answered, not cached (the byte and token limits make
        them cheap to find again); validation results are cached, weighed by source size."""
        cached = self.documents.get(query)
        if cached is not None:
            return cached
        try:
            document = parse_document(query, self.limits)
        except GraphQLError as error:
            return [error]
        errors = validate(
            self.schema._schema,
            document,
            self._rules,
            hide_suggestions=self._hide_suggestions,
        )
        result: DocumentNode | list[GraphQLError] = errors or document
        self.documents.put(query, result, weight=len(query))
        return result

    def split_plan(
        self,
        query: str,
        operation_name: str | None,
        document: DocumentNode,
        operation: OperationDefinitionNode,
    ) -> SplitPlan | None:
        """How to split a public subscription into one shared execution per list item
        (see ``split.py``), or None for an ordinary one."""
        root = self._root_field(operation)
        if root is None or not self._is_public(operation):
            return None
        field, node = root
        return self.splits.plan(field, node, query, operation_name, document, operation)

    def _root_field(
        self, operation: OperationDefinitionNode
    ) -> tuple[GraphQLField, FieldNode] | None:
        root = self.schema._schema.subscription_type
        selections = operation.selection_set.selections
        if root is None or len(selections) != 1 or not isinstance(selections[0], FieldNode):
            return None
        field = root.fields.get(selections[0].name.value)
        return None if field is None else (field, selections[0])

    def _is_public(self, operation: OperationDefinitionNode) -> bool:
        return self._has_scope(operation, PUBLIC_SCOPE_METADATA)

    def _has_scope(self, operation: OperationDefinitionNode, scope: dict[str, str]) -> bool:
        root = self._root_field(operation)
        definition = root[0].extensions.get("strawberry-definition") if root else None
        metadata = getattr(definition, "metadata", None) or {}
        return all(metadata.get(key) == value for key, value in scope.items())
