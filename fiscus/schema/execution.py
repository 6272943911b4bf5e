"""A leaner execution context: plain attributes complete without graphql-core's per-field
machinery.

graphql-core resolves every field alike: a response path, a ``GraphQLResolveInfo`` (17
values), the resolver call, an awaitable check, then ``complete_value``'s chain of type
tests. For a Strawberry field without a resolver, permission class or extension (a *basic*
field: ``resolve._is_default``) all of that only reads an attribute. A 500-row dashboard
has ~7,000 of them, which made Python's per-field overhead the whole cost of the request.

``LeanExecutionContext.execute_fields`` plans each grouped field set once per request:
``__typename``, basic fields of leaf type (and lists of them) and basic fields of object
type (and lists of them) are read with ``getattr`` and completed directly; every other
field goes through graphql-core's ``execute_field`` unchanged. Lists that resolvers return
complete their object items the same way.

The contract is graphql-core's, exactly: whenever a plain value is not what the fast path
expects (null where the type is non-null, a value the scalar will not coerce, an object
``is_type_of`` refuses, an awaitable), the field is executed again by graphql-core's own
path, which produces the same error, path and null propagation as before. Reading a plain
attribute twice has no side effect. Directives on a field's nodes, middleware, deferred
groups and streams leave the field on graphql-core's path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from graphql import (
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_SLOW, _TYPENAME, _LEAF, _LEAF_LIST, _OBJECT, _OBJECT_LIST = range(6)

Coerce = Callable[[Any], Any]


class _Step:
    """How one response key of one grouped field set completes."""

    __slots__ = (
        "attribute",
        "coerce",
        "field_details",
        "item_non_null",
        "kind",
        "name",
        "non_null",
        "object_type",
        "return_type",
    )

    def __init__(self, name: str, field_details: Any, kind: int = _SLOW) -> None:
        self.name = name
        self.field_details = field_details
        self.kind = kind
        self.attribute = ""
        self.coerce: Coerce | None = None
        self.non_null = False
        self.item_non_null = False
        self.object_type: GraphQLObjectType | None = None
        self.return_type: GraphQLOutputType | None = None


class _Fallback(Exception):
    """A plain value the fast path does not complete: graphql-core's path will."""


_FALLBACK = _Fallback()
_NO_INFO: Any = None
"""``is_type_of`` on the plain path gets no resolve info; Strawberry's own (an isinstance
check for types that implement interfaces) does not use it."""


def _plain_step(parent_type: GraphQLObjectType, name: str, field_details: Any) -> _Step:
    first = field_details[0]
    field_name = first.node.name.value
    if field_name == "__typename":
        return _Step(name, field_details, _TYPENAME)
    step = _Step(name, field_details)
    if any(d.node.directives or d.fragment_variable_values for d in field_details):
        return step
    field_def = parent_type.fields.get(field_name)
    if field_def is None or not getattr(field_def.resolve, "_is_default", False):
        return step
    definition = field_def.extensions.get("strawberry-definition")
    if definition is None or definition.default_resolver is not getattr:
        return step
    step.attribute = definition.python_name
    step.return_type = field_def.type
    kind_type: Any = field_def.type
    if is_non_null_type(kind_type):
        step.non_null = True
        kind_type = kind_type.of_type
    if is_leaf_type(kind_type):
        step.kind, step.coerce = _LEAF, kind_type.coerce_output_value
    elif is_object_type(kind_type):
        step.kind, step.object_type = _OBJECT, kind_type
    elif is_list_type(kind_type):
        item_type: Any = kind_type.of_type
        if is_non_null_type(item_type):
            step.item_non_null = True
            item_type = item_type.of_type
        if is_leaf_type(item_type):
            step.kind, step.coerce = _LEAF_LIST, item_type.coerce_output_value
        elif is_object_type(item_type):
            step.kind, step.object_type = _OBJECT_LIST, item_type
    return step


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keyed by the grouped field set's identity; the set itself is kept alive with
        # its plan so that its id cannot be reused during this execution.
        self._plans: dict[int, tuple[Any, tuple[_Step, ...]]] = {}

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> tuple[_Step, ...]:
        cached = self._plans.get(id(grouped_field_set))
        if cached is not None:
            return cached[1]
        steps = tuple(
            _plain_step(parent_type, name, details) for name, details in grouped_field_set.items()
        )
        self._plans[id(grouped_field_set)] = (grouped_field_set, steps)
        return steps

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        if position_context is not None or self.middleware_manager is not None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        is_awaitable = self.is_awaitable
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        try:
            for step in self._plan(parent_type, grouped_field_set):
                name = step.name
                kind = step.kind
                if kind == _TYPENAME:
                    results[name] = parent_type.name
                    continue
                if kind != _SLOW:
                    try:
                        value = getattr(source_value, step.attribute)
                        if value is None:
                            if step.non_null:
                                raise _FALLBACK
                            results[name] = None
                            continue
                        if kind == _LEAF:
                            coerced = step.coerce(value)  # type: ignore[misc]
                            if coerced is None or coerced is Undefined:
                                raise _FALLBACK
                            results[name] = coerced
                            continue
                        if kind == _LEAF_LIST:
                            results[name] = _leaf_list(step, value)
                            continue
                        completed = self._complete_plain_object(
                            step, value, Path(path, name, parent_type.name)
                        )
                    except Exception:  # noqa: S110 - graphql-core's path reports it below
                        pass
                    else:
                        results[name] = completed
                        if is_awaitable(completed):
                            awaitable_fields.append(name)
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    step.field_details,
                    Path(path, name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gather_fields(results, awaitable_fields)

    async def _gather_fields(
        self, results: dict[str, Any], awaitable_fields: list[str]
    ) -> dict[str, Any]:
        if len(awaitable_fields) == 1:
            field = awaitable_fields[0]
            results[field] = await results[field]
            return results
        awaited = await _gather([results[field] for field in awaitable_fields])
        results.update(zip(awaitable_fields, awaited, strict=True))
        return results

    def _complete_plain_object(self, step: _Step, value: Any, field_path: Path) -> Any:
        """An object (or list of objects) read from a plain attribute. Raises _Fallback
        before completing anything when a value needs graphql-core's path; errors of the
        sub-selections are handled as ``execute_field`` handles them."""
        object_type = step.object_type
        assert object_type is not None
        is_type_of = object_type.is_type_of
        is_awaitable = self.is_awaitable
        if step.kind == _OBJECT:
            if is_awaitable(value) or (
                is_type_of is not None and is_type_of(value, _NO_INFO) is not True
            ):
                raise _FALLBACK
            items = None
        else:
            if not isinstance(value, list | tuple):
                raise _FALLBACK
            items = value
            for item in items:
                if item is None:
                    if step.item_non_null:
                        raise _FALLBACK
                elif is_awaitable(item) or (
                    is_type_of is not None and is_type_of(item, _NO_INFO) is not True
                ):
                    raise _FALLBACK
        return_type = step.return_type
        assert return_type is not None
        try:
            if items is None:
                completed = self.collect_and_execute_subfields(
                    object_type, step.field_details, field_path, value, None
                )
            else:
                completed = self._complete_object_items(
                    object_type, step.field_details, field_path, items, step.item_non_null
                )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, step.field_details, field_path)
            return None
        if is_awaitable(completed):
            return self._await_field(completed, return_type, step.field_details, field_path)
        return completed

    async def _await_field(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        field_details: Any,
        field_path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details, field_path)
            return None

    def _complete_object_items(
        self,
        object_type: GraphQLObjectType,
        field_details: Any,
        path: Path,
        items: Iterable[Any],
        item_non_null: bool,
    ) -> Any:
        """Objects already checked (not awaitable, accepted by ``is_type_of``); a null
        item is known to be allowed."""
        item_type: GraphQLOutputType = (
            GraphQLNonNull(object_type) if item_non_null else object_type
        )
        is_awaitable = self.is_awaitable
        execute = self.collect_and_execute_subfields
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        for index, item in enumerate(items):
            if item is None:
                completed.append(None)
                continue
            item_path = path.add_key(index, None)
            try:
                result = execute(object_type, field_details, item_path, item, None)
            except Exception as raw_error:
                self.handle_field_error(raw_error, item_type, field_details, item_path)
                completed.append(None)
                continue
            if is_awaitable(result):
                result = self._await_field(result, item_type, field_details, item_path)
                awaitable_indices.append(index)
            completed.append(result)
        if not awaitable_indices:
            return completed
        return self._gather_items(completed, awaitable_indices)

    async def _gather_items(self, completed: list[Any], indices: list[int]) -> list[Any]:
        awaited = await _gather([completed[index] for index in indices])
        for index, value in zip(indices, awaited, strict=True):
            completed[index] = value
        return completed

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: Any,
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> Any:
        """A resolver's list of objects: completed item by item without ``complete_value``'s
        dispatch when every item is a plain object of the list's object type."""
        object_type: Any = item_type.of_type if is_non_null_type(item_type) else item_type
        if (
            position_context is None
            and is_object_type(object_type)
            and isinstance(items, list | tuple)
            and not any(d.node.directives for d in field_details_list)
        ):
            is_type_of = object_type.is_type_of
            is_awaitable = self.is_awaitable
            if all(
                item is not None
                and not is_awaitable(item)
                and (is_type_of is None or is_type_of(item, info) is True)
                for item in items
            ):
                return self._complete_object_items(
                    object_type,
                    field_details_list,
                    path,
                    items,
                    item_non_null=is_non_null_type(item_type),
                )
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )


def _leaf_list(step: _Step, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _FALLBACK
    coerce = step.coerce
    assert coerce is not None
    completed: list[Any] = []
    for item in value:
        if item is None:
            if step.item_non_null:
                raise _FALLBACK
            completed.append(None)
            continue
        coerced = coerce(item)
        if coerced is None or coerced is Undefined:
            raise _FALLBACK
        completed.append(coerced)
    return completed


async def _gather(awaitables: list[Any]) -> list[Any]:
    result: list[Any] = await gather_with_cancel(*awaitables)
    return result
