"""Request variables, checked the same way on every transport before anything executes.

First their shape -- nesting depth, list lengths, valid Unicode -- with a loop, never
recursion, so no input can exhaust the stack; then coercion against the operation's
variable definitions, with graphql-core's "Did you mean ...?" hints hidden in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode
from graphql.execution.values import get_variable_values

from fiscus.schema.limits import QueryLimits

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
    shape = variables_shape_error(variables or {}, limits)
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


def variables_shape_error(variables: dict[str, Any], limits: QueryLimits) -> GraphQLError | None:
    for path, value, depth in _walk(variables):
        where = _describe(path)
        if depth > limits.max_input_depth:
            return GraphQLError(
                f"{where} is nested more than {limits.max_input_depth} levels deep.",
                extensions={"code": "INPUT_TOO_DEEP"},
            )
        if isinstance(value, list) and len(value) > limits.max_list_input:
            return GraphQLError(
                f"{where} has {len(value)} items; a list input may have at most "
                f"{limits.max_list_input}.",
                extensions={"code": "LIST_INPUT_TOO_LONG"},
            )
        if isinstance(value, str) and not is_unicode(value):
            return GraphQLError(
                f"{where} is not valid Unicode text (it contains a lone surrogate).",
                extensions={"code": "BAD_USER_INPUT"},
            )
    return None


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
