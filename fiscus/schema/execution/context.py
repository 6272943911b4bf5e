"""A leaner execution context: plain attributes complete without graphql-core's per-field
machinery.

graphql-core resolves every field alike: a response path, a ``GraphQLResolveInfo`` (17
values), the resolver call, an awaitable check, then ``complete_value``'s chain of type
tests. For a Strawberry field without a resolver, permission class or extension (a *basic*
field: ``resolve._is_default``) all of that only reads an attribute. A 500-holding dashboard
has ~6,500 of them, which made Python's per-field overhead most of the request.

``LeanExecutionContext.execute_fields`` plans each grouped field set once per request
(``plans.py``) and runs the set's compiled function: plain fields are read and completed
directly, every other field goes through graphql-core's ``execute_field`` unchanged. Lists
of objects (plain attributes, or what a resolver returned) complete item by item without
``complete_value``'s dispatch, their sub-selection collected once.

The contract is graphql-core's, exactly: whenever a plain value is not what the fast path
expects (null where the type is non-null, a value the scalar will not coerce, an object
``is_type_of`` refuses, an awaitable), the compiled function gives up before recording
anything and the object is executed field by field, each plain field falling back to
graphql-core's own path, which produces the same error, path and null propagation as
before. Reading a plain attribute twice has no side effect. An object selected with leaves
only completes once per request and selection: its parents share the completed dict
(plain attributes are values, not recomputed while a request executes). Directives on a
field's nodes, middleware, deferred groups and streams leave the field on graphql-core's
path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any

from graphql import (
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_non_null_type,
    is_object_type,
)
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from fiscus.schema.execution.plans import (
    FALLBACK,
    LEAF,
    LEAF_LIST,
    OBJECT,
    SLOW,
    TYPENAME,
    Fallback,
    Plan,
    Step,
    leaf_list,
    new_path,
    plan_of,
)

_NO_INFO: Any = None
"""``is_type_of`` on the plain path gets no resolve info; Strawberry's own (an isinstance
check for types that implement interfaces) does not use it."""


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[int, Plan] = {}

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> Plan:
        plan = self._plans.get(id(grouped_field_set))
        if plan is None or plan.grouped is not grouped_field_set:
            plan = self._plans[id(grouped_field_set)] = plan_of(parent_type, grouped_field_set)
        return plan

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
        return self._execute_plan(
            parent_type, source_value, path, self._plan(parent_type, grouped_field_set)
        )

    def _execute_plan(
        self, parent_type: GraphQLObjectType, source: Any, path: Path | None, plan: Plan
    ) -> Any:
        if plan.compiled is not None:
            memo = plan.memo
            if memo is not None:
                done = memo.get(id(source))
                if done is not None and done[0] is source:
                    return done[1]
            try:
                completed = plan.compiled(self, source, path, parent_type)
            except Fallback:
                pass
            else:
                if memo is not None:
                    memo[id(source)] = (source, completed)
                return completed
        return self._execute_steps(parent_type, source, path, plan.steps)

    def _execute_steps(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        steps: Sequence[Step],
    ) -> Any:
        """Field by field; a plain field the fast path gives up on goes through
        graphql-core's ``execute_field``."""
        is_awaitable = self.is_awaitable
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        try:
            for step in steps:
                name = step.name
                if step.kind == TYPENAME:
                    results[name] = parent_type.name
                    continue
                if step.kind != SLOW:
                    try:
                        completed = self._plain_value(step, source, path, parent_type)
                    except Fallback:
                        pass
                    else:
                        results[name] = completed
                        if is_awaitable(completed):
                            awaitable_fields.append(name)
                        continue
                result = self.execute_field(
                    parent_type,
                    source,
                    step.field_details,
                    Path(path, name, parent_type.name),
                    None,
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

    def _plain_value(
        self, step: Step, source: Any, path: Path | None, parent_type: GraphQLObjectType
    ) -> Any:
        try:
            value = getattr(source, step.attribute)
        except Exception:
            raise FALLBACK from None
        if value is None:
            if step.non_null:
                raise FALLBACK
            return None
        if step.kind == LEAF:
            assert step.coerce is not None
            try:
                coerced = step.coerce(value)
            except Exception:
                raise FALLBACK from None
            if coerced is None or coerced is Undefined:
                raise FALLBACK
            return coerced
        if step.kind == LEAF_LIST:
            try:
                return leaf_list(step, value)
            except Fallback:
                raise
            except Exception:
                raise FALLBACK from None
        self._check_plain(step, value)
        return self._complete_plain(step, value, path, parent_type)

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

    # -- objects -------------------------------------------------------------------------

    def _check_plain(self, step: Step, value: Any) -> None:
        """Raises Fallback unless ``value`` (an object, or a list of objects, of the step's
        object type) completes on the fast path."""
        object_type = step.object_type
        assert object_type is not None
        is_type_of = object_type.is_type_of
        is_awaitable = self.is_awaitable
        if step.kind == OBJECT:
            if _completed_before(step, value) is not None:
                return
            if is_awaitable(value) or (
                is_type_of is not None and is_type_of(value, _NO_INFO) is not True
            ):
                raise FALLBACK
            return
        if not isinstance(value, list | tuple):
            raise FALLBACK
        for item in value:
            if item is None:
                if step.item_non_null:
                    raise FALLBACK
            elif is_awaitable(item) or (
                is_type_of is not None and is_type_of(item, _NO_INFO) is not True
            ):
                raise FALLBACK

    def _complete_plain(
        self, step: Step, value: Any, path: Path | None, parent_type: GraphQLObjectType
    ) -> Any:
        """A checked object (or list of objects) at ``path`` + the step's name: errors of its
        sub-selections are handled as ``execute_field`` handles them."""
        if step.kind == OBJECT:
            done = _completed_before(step, value)
            if done is not None:
                return done
        object_type = step.object_type
        return_type = step.return_type
        assert object_type is not None and return_type is not None
        field_path = new_path(Path, (path, step.name, parent_type.name))
        completed: Any
        try:
            if step.kind == OBJECT:
                completed = self._complete_object(
                    object_type, step.field_details, field_path, value, step
                )
            else:
                completed = self._complete_object_items(
                    object_type, step.field_details, field_path, value, step.item_non_null
                )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, step.field_details, field_path)
            return None
        if type(completed) is dict or type(completed) is list:
            return completed
        return self._await_field(completed, return_type, step.field_details, field_path)

    def _sub_plan(
        self, object_type: GraphQLObjectType, field_details: Any, holder: Step | None
    ) -> Plan | None:
        """The object's sub-selection planned, once per request (None: deferred parts)."""
        if holder is not None and holder.sub is not None:
            cached: Plan | None = holder.sub[0]
            return cached
        grouped, new_defer_usages, _ = self.collect_subfields(object_type, field_details)
        plan = None if new_defer_usages else self._plan(object_type, grouped)
        if holder is not None:
            holder.sub = (plan,)
        return plan

    def _complete_object(
        self,
        object_type: GraphQLObjectType,
        field_details: Any,
        path: Path,
        value: Any,
        holder: Step | None = None,
    ) -> Any:
        plan = self._sub_plan(object_type, field_details, holder)
        if plan is None:
            return self.collect_and_execute_subfields(object_type, field_details, path, value, None)
        return self._execute_plan(object_type, value, path, plan)

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
        items: Sequence[Any],
        item_non_null: bool,
    ) -> Any:
        """Objects already checked (not awaitable, accepted by ``is_type_of``); a null
        item is known to be allowed."""
        item_type: GraphQLOutputType = GraphQLNonNull(object_type) if item_non_null else object_type
        plan = self._sub_plan(object_type, field_details, None)
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        for index, item in enumerate(items):
            if item is None:
                completed.append(None)
                continue
            item_path = new_path(Path, (path, index, None))
            result: Any
            try:
                if plan is None:
                    result = self.collect_and_execute_subfields(
                        object_type, field_details, item_path, item, None
                    )
                else:
                    result = self._execute_plan(object_type, item, item_path, plan)
            except Exception as raw_error:
                self.handle_field_error(raw_error, item_type, field_details, item_path)
                completed.append(None)
                continue
            if type(result) is not dict:
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
        items: Any,
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


def _completed_before(step: Step, value: Any) -> dict[str, Any] | None:
    """The completed dict of an object this request already completed with the step's
    selection (leaves only: ``Plan.memo``), else None."""
    sub = step.sub
    memo = sub[0].memo if sub is not None and sub[0] is not None else None
    if memo is None:
        return None
    done = memo.get(id(value))
    return done[1] if done is not None and done[0] is value else None


async def _gather(awaitables: list[Any]) -> list[Any]:
    result: list[Any] = await gather_with_cancel(*awaitables)
    return result
