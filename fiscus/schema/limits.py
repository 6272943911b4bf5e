"""Hard limits on GraphQL documents, enforced before anything executes.

* **bytes** and **tokens** are checked by :func:`parse_document` (bytes before parsing,
  tokens by graphql-core's ``parse(max_tokens=...)``);
* **depth**, **aliases** and **cost** are checked per operation by one validation rule
  that walks the operation with every fragment spread expanded (so a fragment with 10
  aliases spread 5 times counts as 50 aliases);
* in production, a second rule rejects ``__schema`` / ``__type`` (``__typename`` stays).

Cost model: every field costs 1 plus the cost of its selections. A field returning a list
or a ``...Connection`` type multiplies the cost of its selections by its page size: the
literal ``first`` (or ``last``) argument, or ``default_page_size`` when the argument is
absent or a variable (or the size a list field declares with ``list_cost``). Fields
directly under a ``...Connection`` type (``edges``, ``nodes``) are not multiplied again.
``__typename`` is free. Introspection subtrees (``__schema``, ``__type``) are left out of
depth and cost: graphql-core's
``MaxIntrospectionDepthRule`` (a standard rule) bounds them instead; their aliases count.

The same rule caps literal list inputs at ``max_list_input`` items; variables are checked
against the same limit (and ``max_input_depth``) by ``fiscus.transport.variables``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    parse,
    specified_rules,
)
from graphql.validation import ASTValidationRule
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from fiscus.config import GraphQLSettings

INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
MAX_ITEMS_METADATA_KEY = "fiscus_max_items"
"""Input-field metadata raising ``max_list_input`` for one bulk list field:
``prices: list[PriceInput] = strawberry.field(metadata=max_items(10_000))``."""


def max_items(limit: int) -> dict[str, int]:
    return {MAX_ITEMS_METADATA_KEY: limit}


def declared_max_items(field: Any) -> int | None:
    """The cap an input field (graphql-core ``GraphQLInputField``) declares, if any."""
    definition = (getattr(field, "extensions", None) or {}).get("strawberry-definition")
    metadata = getattr(definition, "metadata", None) or {}
    value = metadata.get(MAX_ITEMS_METADATA_KEY)
    return value if isinstance(value, int) else None


LIST_COST_METADATA_KEY = "fiscus_list_cost"
"""Output-field metadata: the page size the cost model assumes for a list field without a
``first`` argument whose length the domain keeps small (a portfolio's holdings), instead
of ``default_page_size``: ``strawberry.field(metadata=list_cost(25))``."""


HOLDINGS_COST = 25
"""A portfolio's holdings, as the cost model counts them (a typical portfolio's open
positions): the organization dashboard, 20 portfolios with their holdings, fits the
default ``max_cost``."""


def list_cost(size: int) -> dict[str, int]:
    return {LIST_COST_METADATA_KEY: size}


def _declared_list_cost(definition: GraphQLField) -> int | None:
    strawberry_field = (definition.extensions or {}).get("strawberry-definition")
    metadata = getattr(strawberry_field, "metadata", None) or {}
    value = metadata.get(LIST_COST_METADATA_KEY)
    return value if isinstance(value, int) else None


PAGE_SIZE_ARGUMENTS = ("first", "last")


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2_000
    max_document_bytes: int = 20_000
    max_cost: int = 10_000
    default_page_size: int = 100
    max_list_input: int = 1_000
    max_input_depth: int = 32

    @classmethod
    def from_settings(cls, settings: GraphQLSettings) -> QueryLimits:
        return cls(
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            max_document_bytes=settings.max_document_bytes,
            max_cost=settings.max_cost,
            default_page_size=settings.max_page_size,
            max_list_input=settings.max_list_input,
            max_input_depth=settings.max_input_depth,
        )


class DocumentTooLargeError(GraphQLError):
    """The document is over ``max_document_bytes``; HTTP answers 413."""


def parse_document(source: str, limits: QueryLimits) -> DocumentNode:
    """Parse ``source`` within the byte and token limits; raises ``GraphQLError``."""
    try:
        size = len(source) if len(source) > limits.max_document_bytes else len(source.encode())
    except UnicodeEncodeError:
        raise GraphQLError(
            "The GraphQL document is not valid Unicode text (it contains a lone surrogate).",
            extensions={"code": "GRAPHQL_PARSE_FAILED"},
        ) from None
    if size > limits.max_document_bytes:
        raise DocumentTooLargeError(
            f"The GraphQL document is {size} bytes; the maximum is "
            f"{limits.max_document_bytes} bytes.",
            extensions={"code": "DOCUMENT_TOO_LARGE"},
        )
    return parse(source, max_tokens=limits.max_tokens)


@dataclass(frozen=True, slots=True)
class OperationMeasure:
    depth: int = 0
    aliases: int = 0
    cost: int = 0

    def plus(self, other: OperationMeasure) -> OperationMeasure:
        return OperationMeasure(
            max(self.depth, other.depth), self.aliases + other.aliases, self.cost + other.cost
        )


@dataclass(slots=True)
class _OperationWalker:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    default_page_size: int
    _memo: dict[str, OperationMeasure] = field(default_factory=dict)
    _visiting: set[str] = field(default_factory=set)

    def selection_set(
        self, selections: SelectionSetNode | None, parent: GraphQLNamedType | None
    ) -> OperationMeasure:
        total = OperationMeasure()
        for node in selections.selections if selections else ():
            if isinstance(node, FieldNode):
                total = total.plus(self.field(node, parent))
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total = total.plus(self.selection_set(node.selection_set, inner))
            elif isinstance(node, FragmentSpreadNode):
                total = total.plus(self.fragment(node.name.value))
        return total

    def fragment(self, name: str) -> OperationMeasure:
        definition = self.fragments.get(name)
        if definition is None or name in self._visiting:
            return OperationMeasure()
        if name not in self._memo:
            self._visiting.add(name)
            condition = self.schema.get_type(definition.type_condition.name.value)
            self._memo[name] = self.selection_set(definition.selection_set, condition)
            self._visiting.discard(name)
        return self._memo[name]

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> OperationMeasure:
        aliases = 1 if node.alias else 0
        name = node.name.value
        if name == "__typename":
            return OperationMeasure(depth=1, aliases=aliases)
        if name in INTROSPECTION_ROOTS:
            root = self.schema.get_type("__Schema" if name == "__schema" else "__Type")
            inner = self.selection_set(node.selection_set, root)
            return OperationMeasure(aliases=aliases + inner.aliases)
        definition = _field_definition(parent, name)
        child_type = get_named_type(definition.type) if definition else None
        inner = self.selection_set(node.selection_set, child_type)
        multiplier = self._multiplier(node, definition, parent)
        return OperationMeasure(
            depth=1 + inner.depth, aliases=aliases + inner.aliases, cost=1 + multiplier * inner.cost
        )

    def _multiplier(
        self, node: FieldNode, definition: GraphQLField | None, parent: GraphQLNamedType | None
    ) -> int:
        if definition is None or (parent is not None and _is_connection(parent)):
            return 1
        returns_list = isinstance(get_nullable_type(definition.type), GraphQLList)
        if not returns_list and not _is_connection(get_named_type(definition.type)):
            return 1
        return _page_size(node) or _declared_list_cost(definition) or self.default_page_size


def _field_definition(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        found: GraphQLField | None = parent.fields.get(name)
        return found
    return None


def _is_connection(named: GraphQLNamedType) -> bool:
    return named.name.endswith("Connection")


def _page_size(node: FieldNode) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value in PAGE_SIZE_ARGUMENTS and isinstance(argument.value, IntValueNode):
            return max(int(argument.value.value), 0)
    return None


def measure_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    default_page_size: int,
) -> OperationMeasure:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walker = _OperationWalker(schema, fragments, default_page_size)
    root = schema.get_root_type(operation.operation)
    return walker.selection_set(operation.selection_set, root)


class QueryLimitsRule(ValidationRule):
    """Depth, alias and cost limits; bind to a ``QueryLimits`` with :func:`validation_rules`."""

    limits: ClassVar[QueryLimits] = QueryLimits()

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        measure = measure_operation(
            self.context.schema, self.context.document, node, self.limits.default_page_size
        )
        for message, code in _violations(measure, self.limits):
            self.report_error(GraphQLError(message, node, extensions={"code": code}))

    def enter_list_value(self, node: ListValueNode, *_args: Any) -> None:
        if len(node.values) > self.limits.max_list_input:
            self.report_error(
                GraphQLError(
                    f"A list input has {len(node.values)} items; the maximum is "
                    f"{self.limits.max_list_input}.",
                    node,
                    extensions={"code": "LIST_INPUT_TOO_LONG"},
                )
            )


def _violations(measure: OperationMeasure, limits: QueryLimits) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if measure.depth > limits.max_depth:
        found.append(
            (
                f"The operation is {measure.depth} fields deep; the maximum depth is "
                f"{limits.max_depth}.",
                "MAX_DEPTH_EXCEEDED",
            )
        )
    if measure.aliases > limits.max_aliases:
        found.append(
            (
                f"The operation uses {measure.aliases} aliases (each fragment spread counted); "
                f"the maximum is {limits.max_aliases}.",
                "MAX_ALIASES_EXCEEDED",
            )
        )
    if measure.cost > limits.max_cost:
        found.append(
            (
                f"The operation costs {measure.cost}; the maximum is {limits.max_cost}. Each "
                "field costs 1 and list fields multiply their selections by `first` "
                f"(default {limits.default_page_size}); request smaller pages or fewer fields.",
                "MAX_COST_EXCEEDED",
            )
        )
    return found


class NoIntrospectionRule(ValidationRule):
    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.name.value in INTROSPECTION_ROOTS:
            self.report_error(
                GraphQLError(
                    "Introspection is disabled on this server.",
                    node,
                    extensions={"code": "INTROSPECTION_DISABLED"},
                )
            )


def validation_rules(
    limits: QueryLimits, production: bool, *, introspection: bool | None = None
) -> list[type[ASTValidationRule]]:
    """The complete rule list: graphql-core's standard rules, Strawberry's, then ours.

    ``introspection`` defaults to ``not production``. Pass ``hide_suggestions=production``
    to ``graphql.validate`` as well: these rules never suggest, the standard ones do.
    """
    bound = type("BoundQueryLimitsRule", (QueryLimitsRule,), {"limits": limits})
    rules: list[type[ASTValidationRule]] = [
        *specified_rules,
        MaybeNullValidationRule,
        OneOfInputValidationRule,
        bound,
    ]
    allow_introspection = (not production) if introspection is None else introspection
    if not allow_introspection:
        rules.append(NoIntrospectionRule)
    return rules
