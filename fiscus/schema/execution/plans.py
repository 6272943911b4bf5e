"""Plans: how each response key of a grouped field set completes, and the Python function
compiled for the whole set.

A step is *plain* when its field is a basic Strawberry field (no resolver, permission class
or extension: ``resolve._is_default``) read with ``getattr``, without directives on its
nodes: ``__typename``, a leaf (scalar or enum), a list of leaves, an object, a list of
objects. Any other field is *slow*: graphql-core's ``execute_field``.

The compiled function of a set reads the plain values in two phases, so that it can give
up (``Fallback``) before anything was recorded: first every leaf is read and coerced and
every plain object checked (not null where non-null, coercion not refused, ``is_type_of``
accepting it); then the objects' selections and the slow fields execute. Its source depends
only on the steps' kinds, names, attributes and nullability, so one code object per shape
is compiled per process (bounded) and closed over each request's steps.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.pyutils import Path, Undefined

SLOW, TYPENAME, LEAF, LEAF_LIST, OBJECT, OBJECT_LIST = range(6)
new_path = tuple.__new__
"""``new_path(Path, (prev, key, typename))`` is ``Path(prev, key, typename)`` without the
named tuple's Python-level ``__new__`` (one per list item and nested object)."""
_CACHED_SHAPES = 1024

Coerce = Callable[[Any], Any]
Compiled = Callable[[Any, Any, "Path | None", GraphQLObjectType], Any]
"""``(execution context, source, path, parent type)`` -> the completed dict, or an
awaitable of it; raises ``Fallback`` before completing anything."""


class Fallback(Exception):
    """A plain value the fast path does not complete: graphql-core's path will."""


FALLBACK = Fallback()


class Step:
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
        "sub",
    )

    def __init__(self, name: str, field_details: Any, kind: int = SLOW) -> None:
        self.name = name
        self.field_details = field_details
        self.kind = kind
        self.attribute = ""
        self.coerce: Coerce | None = None
        self.non_null = False
        self.item_non_null = False
        self.object_type: GraphQLObjectType | None = None
        self.return_type: GraphQLOutputType | None = None
        self.sub: Any = None
        """The object's collected sub-selection, once per request (set by the context)."""


class Plan:
    __slots__ = ("compiled", "grouped", "memo", "steps")

    def __init__(self, grouped: Any, steps: tuple[Step, ...], compiled: Compiled | None) -> None:
        self.grouped = grouped
        """Kept alive with its plan: plans are keyed by its id."""
        self.steps = steps
        self.compiled = compiled
        self.memo: dict[int, tuple[Any, dict[str, Any]]] | None = (
            {} if all(s.kind in (TYPENAME, LEAF, LEAF_LIST) for s in steps) else None
        )
        """For a selection of leaves only: the completed dict of each source object, by
        identity (the object kept alive with it). An object that many parents share (one
        instrument under 25 holdings) completes once; its parents share the same dict."""


def plan_of(parent_type: GraphQLObjectType, grouped_field_set: Any) -> Plan:
    steps = tuple(step_of(parent_type, name, d) for name, d in grouped_field_set.items())
    return Plan(grouped_field_set, steps, _compiled(steps))


def step_of(parent_type: GraphQLObjectType, name: str, field_details: Any) -> Step:
    first = field_details[0]
    field_name = first.node.name.value
    if field_name == "__typename":
        return Step(name, field_details, TYPENAME)
    step = Step(name, field_details)
    if any(d.node.directives or d.fragment_variable_values for d in field_details):
        return step
    field_def = parent_type.fields.get(field_name)
    if field_def is None or not getattr(field_def.resolve, "_is_default", False):
        return step
    definition = field_def.extensions.get("strawberry-definition")
    if definition is None or definition.default_resolver is not getattr:
        return step
    attribute = definition.python_name
    if not isinstance(attribute, str) or not attribute.isidentifier():
        return step
    step.attribute = attribute
    step.return_type = field_def.type
    kind_type: Any = field_def.type
    if is_non_null_type(kind_type):
        step.non_null = True
        kind_type = kind_type.of_type
    if is_leaf_type(kind_type):
        step.kind, step.coerce = LEAF, kind_type.coerce_output_value
    elif is_object_type(kind_type):
        step.kind, step.object_type = OBJECT, kind_type
    elif is_list_type(kind_type):
        item_type: Any = kind_type.of_type
        if is_non_null_type(item_type):
            step.item_non_null = True
            item_type = item_type.of_type
        if is_leaf_type(item_type):
            step.kind, step.coerce = LEAF_LIST, item_type.coerce_output_value
        elif is_object_type(item_type):
            step.kind, step.object_type = OBJECT_LIST, item_type
    return step


def leaf_list(step: Step, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise FALLBACK
    coerce = step.coerce
    assert coerce is not None
    completed: list[Any] = []
    for item in value:
        if item is None:
            if step.item_non_null:
                raise FALLBACK
            completed.append(None)
            continue
        coerced = coerce(item)
        if coerced is None or coerced is Undefined:
            raise FALLBACK
        completed.append(coerced)
    return completed


# -- compiled functions ----------------------------------------------------------------------

_factories: OrderedDict[tuple[Any, ...], Callable[[tuple[Step, ...]], Compiled]] = OrderedDict()


def _compiled(steps: tuple[Step, ...]) -> Compiled:
    shape = tuple((s.kind, s.name, s.attribute, s.non_null) for s in steps)
    factory = _factories.get(shape)
    if factory is None:
        factory = _factory(steps)
        _factories[shape] = factory
        if len(_factories) > _CACHED_SHAPES:
            _factories.popitem(last=False)
    else:
        _factories.move_to_end(shape)
    return factory(steps)


def _factory(steps: tuple[Step, ...]) -> Callable[[tuple[Step, ...]], Compiled]:
    """The source of one shape: ``make(steps)`` returns ``run(ex, source, path, ptype)``."""
    head = ["def make(steps):"]
    head += [f"    s{i} = steps[{i}]" for i in range(len(steps))]
    head += [f"    c{i} = s{i}.coerce" for i, s in enumerate(steps) if s.kind == LEAF]
    check = ["    def run(ex, source, path, ptype):"]
    late: list[str] = []
    awaitables = []
    for i, s in enumerate(steps):
        read = f"source.{s.attribute}"
        missing = "raise F" if s.non_null else f"r{i} = None"
        name = repr(s.name)
        if s.kind == TYPENAME:
            check.append(f"        r{i} = ptype.name")
        elif s.kind == LEAF:
            check += [
                f"        r{i} = {read}",
                f"        if r{i} is None:",
                f"            {missing}",
                "        else:",
                f"            r{i} = c{i}(r{i})",
                f"            if r{i} is None or r{i} is U:",
                "                raise F",
            ]
        elif s.kind == LEAF_LIST:
            check += [
                f"        r{i} = {read}",
                f"        if r{i} is None:",
                f"            {missing}",
                "        else:",
                f"            r{i} = leaf_list(s{i}, r{i})",
            ]
        elif s.kind in (OBJECT, OBJECT_LIST):
            check += [
                f"        o{i} = {read}",
                f"        if o{i} is None:",
                f"            {'raise F' if s.non_null else 'pass'}",
                "        else:",
                f"            ex._check_plain(s{i}, o{i})",
            ]
            late += [
                f"            if o{i} is None:",
                f"                r{i} = None",
                "            else:",
                f"                r{i} = ex._complete_plain("
                f"s{i}, o{i}, path, ptype)",
                f"                if r{i} is not None and type(r{i}) is not dict"
                f" and type(r{i}) is not list:",
                f"                    pending.append({name})",
                f"                    waiting.append(r{i})",
            ]
            awaitables.append(i)
        else:
            late += [
                f"            r{i} = ex.execute_field(ptype, source, s{i}.field_details, "
                f"new_path(Path, (path, {name}, ptype.name)), None)",
                f"            if r{i} is not U and ex.is_awaitable(r{i}):",
                f"                pending.append({name})",
                f"                waiting.append(r{i})",
            ]
            awaitables.append(i)
    body = ["        pending = []", "        waiting = []"]
    if late:
        body += ["        try:", *late, "        except Exception:"]
        body += [
            "            if waiting:",
            "                ex.settle_in_background(waiting)",
            "            raise",
        ]
    items = ", ".join(f"{s.name!r}: r{i}" for i, s in enumerate(steps))
    body.append(f"        results = {{{items}}}")
    body += [
        f"        if r{i} is U:\n            del results[{steps[i].name!r}]"
        for i in awaitables
        if steps[i].kind == SLOW
    ]
    body += [
        "        if pending:",
        "            return ex._gather_fields(results, pending)",
        "        return results",
        "    return run",
    ]
    source = "\n".join(head + check + body) + "\n"
    namespace: dict[str, Any] = {
        "F": FALLBACK,
        "U": Undefined,
        "Path": Path,
        "new_path": new_path,
        "leaf_list": leaf_list,
    }
    exec(compile(source, "<fiscus plan>", "exec"), namespace)  # noqa: S102 - generated above
    make: Callable[[tuple[Step, ...]], Compiled] = namespace["make"]
    return make
