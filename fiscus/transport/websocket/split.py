"""Splitting a public subscription over a list argument into one shared execution per item.

``priceUpdates(symbols: ["AAPL", "MSFT"])`` is, for the client, one operation; for the
server it is two executions, ``priceUpdates(symbols: ["AAPL"])`` and ``...["MSFT"]``, each
shared by every socket in the process that watches that symbol with that selection set,
whatever else each socket watches. A tick is then resolved and serialised once per
(selection set, symbol), and each socket only wraps the string with its operation id.

A field opts in with ``metadata={**PUBLIC_SCOPE_METADATA, "fiscus_split_argument":
"symbols", "fiscus_split_prepare": prepare}`` (plain keys: resolvers sit below the
transport and import nothing of it). ``prepare(context, value)`` runs once per subscribe
with the subscriber's context: it validates the whole list (too long, unknown items: one
clear error) and returns the items to split into (normalized, deduplicated), or raises a
GraphQLError. Each part's canonical document is the operation with the argument bound to
a one-item list literal and the variables it no longer uses dropped, so its key does not
depend on how the client spelled or ordered the list.
"""

from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLSchema,
    NameNode,
    Node,
    OperationDefinitionNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    print_ast,
    visit,
)
from graphql.execution.values import get_argument_values, get_variable_values

SPLIT_ARGUMENT_KEY = "fiscus_split_argument"
SPLIT_PREPARE_KEY = "fiscus_split_prepare"
_PLACEHOLDER = "__fiscus_split__"
_CACHED_TEMPLATES = 512


@dataclass(frozen=True, slots=True)
class SplitArgument:
    argument: str
    prepare: Callable[[Any, Any], Awaitable[list[Any]]]


@dataclass(frozen=True, slots=True)
class SplitTemplate:
    """The operation's document printed with the split argument as a placeholder."""

    text: str
    variables: frozenset[str]

    def bind(self, item: Any) -> str:
        return self.text.replace("$" + _PLACEHOLDER, "[" + json.dumps(item) + "]")

    def variables_of(self, variables: dict[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in variables.items() if name in self.variables}


@dataclass(frozen=True, slots=True)
class SplitPlan:
    split: SplitArgument
    field: GraphQLField
    node: FieldNode
    template: SplitTemplate

    def argument_value(
        self, schema: GraphQLSchema, operation: OperationDefinitionNode, variables: dict[str, Any]
    ) -> Any:
        """The argument's value (a literal or from ``variables``, which the transport has
        already checked), or GraphQLError."""
        coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            raise coerced[0]
        values = get_argument_values(self.field, self.node, coerced)
        return values.get(self.split.argument)


class SplitPlanner:
    """Finds split fields and keeps their templates per (query, operation name)."""

    def __init__(self, max_templates: int = _CACHED_TEMPLATES) -> None:
        self._templates: OrderedDict[tuple[str, str | None], SplitTemplate] = OrderedDict()
        self._max = max_templates

    def plan(
        self,
        field: GraphQLField,
        node: FieldNode,
        query: str,
        operation_name: str | None,
        document: DocumentNode,
        operation: OperationDefinitionNode,
    ) -> SplitPlan | None:
        definition = field.extensions.get("strawberry-definition")
        metadata = getattr(definition, "metadata", None) or {}
        argument, prepare = metadata.get(SPLIT_ARGUMENT_KEY), metadata.get(SPLIT_PREPARE_KEY)
        if not isinstance(argument, str) or not callable(prepare):
            return None
        split = SplitArgument(argument, prepare)
        key = (query, operation_name)
        template = self._templates.get(key)
        if template is None:
            template = _template(document, operation, node, split.argument)
            self._templates[key] = template
            if len(self._templates) > self._max:
                self._templates.popitem(last=False)
        else:
            self._templates.move_to_end(key)
        return SplitPlan(split, field, node, template)


def _template(
    document: DocumentNode, operation: OperationDefinitionNode, node: FieldNode, argument: str
) -> SplitTemplate:
    target = next((arg for arg in node.arguments or () if arg.name.value == argument), None)

    class BindPlaceholder(Visitor):
        def enter_argument(self, arg: ArgumentNode, *_: Any) -> ArgumentNode | None:
            if arg is target:
                placeholder = VariableNode(name=NameNode(value=_PLACEHOLDER))
                return dataclasses.replace(arg, value=placeholder)
            return None

    bound: DocumentNode = visit(document, BindPlaceholder())
    used: set[str] = set()

    class CollectVariables(Visitor):
        def enter_variable_definition(self, *_: Any) -> bool:
            return False  # a definition is not a use

        def enter_variable(self, variable: VariableNode, *_: Any) -> None:
            used.add(variable.name.value)

    visit(bound, CollectVariables())
    index = list(document.definitions).index(operation)
    bound_operation = bound.definitions[index]
    assert isinstance(bound_operation, OperationDefinitionNode)
    kept: tuple[VariableDefinitionNode, ...] = tuple(
        definition
        for definition in bound_operation.variable_definitions or ()
        if definition.variable.name.value in used
    )
    # Anonymous, alone with the fragments it uses: how the client named the operation or
    # what else its document holds does not change the result.
    anonymous = dataclasses.replace(bound_operation, name=None, variable_definitions=kept)
    fragments = _fragments_used(anonymous, bound)
    text = print_ast(dataclasses.replace(bound, definitions=(anonymous, *fragments)))
    return SplitTemplate(text, frozenset(used - {_PLACEHOLDER}))


def _fragments_used(
    operation: OperationDefinitionNode, document: DocumentNode
) -> list[FragmentDefinitionNode]:
    by_name = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    found: dict[str, FragmentDefinitionNode] = {}
    pending: list[Node] = [operation]

    class CollectSpreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: Any) -> None:
            name = spread.name.value
            if name not in found and name in by_name:
                found[name] = by_name[name]
                pending.append(by_name[name])

    while pending:
        visit(pending.pop(), CollectSpreads())
    return sorted(found.values(), key=lambda fragment: fragment.name.value)
