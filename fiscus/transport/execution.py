"""Executing a document the transport has already parsed and validated.

Strawberry built the schema (types, resolvers, field extensions such as the permission
classes) and its execution-context class; graphql-core runs it. Going to graphql-core
directly skips ``strawberry.Schema.execute``'s second parse/validate pass and its
schema-extension hooks (operation, parsing, validation, execution), which fiscus does not
use: parsing, validation, limits, error masking and logging belong to the transports.
Schema extensions (``strawberry.Schema(extensions=...)``) therefore do not run on queries and
mutations; field extensions and permission classes do, exactly as before.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import DocumentNode, ExecutionResult, execute
from strawberry.execution import optimized_is_awaitable
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.utils.await_maybe import await_maybe


async def execute_validated(
    schema: strawberry.Schema,
    document: DocumentNode,
    *,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    context: Any,
    operation_extensions: dict[str, Any] | None = None,
) -> ExecutionResult:
    outcome = execute(
        schema._schema,
        document,
        variable_values=variables,
        operation_name=operation_name,
        context_value=context,
        is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
        operation_extensions=operation_extensions,
        **execution_context_class_kwargs(schema.execution_context_class),
    )
    result: ExecutionResult = await await_maybe(outcome)
    return result
