"""Request variables, checked the same way on every transport before anything executes.

First their shape -- nesting depth, list lengths, valid Unicode -- with a loop, never
recursion, so no input can exhaust the stack; then coercion against the operation's
variable definitions, with graphql-core's "Did you mean ...?" hints hidden in production.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLSchema,
    OperationDefinitionNode,
    get_nullable_type,
    type_from_ast,
)
from graphql.execution.values import get_variable_values

from fiscus.schema.limits import QueryLimits, declared_max_items

MAX_COERCION_ERRORS = 50


def check_variables(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    variables: dict[str, Any] | None,
    limits: QueryLimits,
    *,
    hide_suggestions: bool,
) -> list[GraphQLError]:
    """The request errors of ``variables`` (empty when they may be executed)."""
    shape = variables_shape_error(
        variables or {}, limits, list_limit=_declared_list_limits(schema, operation, limits)
    )
    if shape is not None:
        return [shape]
    coerced = get_variable_values(
        schema,
        operation.variable_definitions or (),
        variables or {},
        max_errors=MAX_COERCION_ERRORS,
        hide_suggestions=hide_suggestions,
    )
    return coerced if isinstance(coerced, list) else []


ListLimit = Callable[[tuple[str | int, ...]], int]


def variables_shape_error(
    variables: dict[str, Any], limits: QueryLimits, list_limit: ListLimit | None = None
) -> GraphQLError | None:
    for path, value, depth in _walk(variables):
        if depth > limits.max_input_depth:
            return GraphQLError(
                f"{_describe(path)} is nested more than {limits.max_input_depth} levels deep.",
                extensions={"code": "INPUT_TOO_DEEP"},
            )
        if isinstance(value, list) and len(value) > limits.max_list_input:
            cap = list_limit(path) if list_limit else limits.max_list_input
            if len(value) > cap:
                return GraphQLError(
                    f"{_describe(path)} has {len(value)} items; this list input may have at "
                    f"most {cap}.",
                    extensions={"code": "LIST_INPUT_TOO_LONG"},
                )
        if isinstance(value, str) and not is_unicode(value):
            return GraphQLError(
                f"{_describe(path)} is not valid Unicode text (it contains a lone surrogate).",
                extensions={"code": "BAD_USER_INPUT"},
            )
    return None


def _declared_list_limits(
    schema: GraphQLSchema, operation: OperationDefinitionNode, limits: QueryLimits
) -> ListLimit:
    """The cap of the list at a variable path: the ``max_items`` its input field declares
    (``fiscus.schema.limits.max_items``), else ``max_list_input``."""
    definitions = {d.variable.name.value: d for d in operation.variable_definitions or ()}

    def limit(path: tuple[str | int, ...]) -> int:
        definition = definitions.get(str(path[0]))
        graphql_type: Any = type_from_ast(schema, definition.type) if definition else None
        declared: int | None = None
        for part in path[1:]:
            graphql_type = get_nullable_type(graphql_type) if graphql_type else None
            if isinstance(part, int) and isinstance(graphql_type, GraphQLList):
                graphql_type, declared = graphql_type.of_type, None
            elif isinstance(part, str) and isinstance(graphql_type, GraphQLInputObjectType):
                field = graphql_type.fields.get(part)
                if field is None:
                    return limits.max_list_input
                graphql_type, declared = field.type, declared_max_items(field)
            else:
                return limits.max_list_input
        return declared or limits.max_list_input

    return limit


def _walk(variables: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Any, int]]:
    """Every value with its path and depth (a variable itself is depth 1), parents before
    children; dictionary keys are yielded as values too, so they are checked as strings."""
    stack: list[tuple[tuple[str | int, ...], Any, int]] = [
        ((name,), value, 1) for name, value in variables.items()
    ]
    while stack:
        path, value, depth = stack.pop()
        yield path, value, depth
        if isinstance(value, dict):
            for key, item in value.items():
                yield (*path, key), key, depth
                stack.append(((*path, key), item, depth + 1))
        elif isinstance(value, list):
            stack.extend(((*path, index), item, depth + 1) for index, item in enumerate(value))


def _describe(path: tuple[str | int, ...]) -> str:
    text = f"${path[0]}"
    for part in path[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return f"Variable {text}" if is_unicode(text) else "A variable"


def is_unicode(text: str) -> bool:
    """False for a string with a lone surrogate (JSON's ``"\\ud800"``): it cannot be encoded."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
