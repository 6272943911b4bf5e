"""Documents parsed and validated once here, then handed to Strawberry as they are."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
)

from fiscus.transport.http.params import RequestError


class DocumentErrors(Exception):
    """Syntax, validation or variable-coercion errors: a response without ``data``."""

    def __init__(self, errors: list[GraphQLError], status: int | None = None) -> None:
        super().__init__(errors[0].message if errors else "invalid document")
        self.errors = errors
        self.status = status


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    source: str
    document: DocumentNode
    operation: OperationDefinitionNode
    label: str
    """The operation's metrics label (``fiscus.observability.metrics.OperationLabels``)."""

    @property
    def type(self) -> str:
        return self.operation.operation.value


def select_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operation = get_operation_ast(document, name)
    if operation is not None:
        return operation
    count = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
    if name:
        message = f"Unknown operation named '{name}'."
    elif count == 0:
        message = "The document contains no operation to execute."
    else:
        message = "The document has several operations; send 'operationName'."
    raise DocumentErrors([GraphQLError(message)])


def check_method(operation: OperationDefinitionNode, method: str) -> None:
    if operation.operation == OperationType.SUBSCRIPTION:
        raise RequestError(
            400, "Subscriptions are served over WebSocket (graphql-transport-ws) at /graphql."
        )
    if method == "GET" and operation.operation != OperationType.QUERY:
        raise RequestError(405, "Mutations must be sent with POST, not GET.", {"Allow": "POST"})
