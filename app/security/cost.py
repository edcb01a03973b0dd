"""A static cost limit for GraphQL operations (a validation rule; nothing executes if it fails).

Depth, alias and token limits bound a query's shape but not its work: a shallow query can still
ask for every device's live reading many times over. The cost of an operation is the number of
fields it can resolve, where a list field counts its selection `LIST_SIZE` times (per level of
list nesting), fragments are expanded, and some fields carry a weight of their own: logging in
and registering run argon2, so a single request cannot hash many passwords.

Introspection (`__schema`, `__type`) costs nothing here: it reads static data and is turned off
in production.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
)
from graphql.language import DocumentNode

#: Assumed length of any list (a home's device list is far shorter in practice).
LIST_SIZE = 50
#: The largest cost accepted; a full device list with live readings costs ~900.
MAX_COST = 2_000
#: Fields that cost more than 1 each (type name, field name).
FIELD_WEIGHTS: dict[tuple[str, str], int] = {
    ("Mutation", "loginUser"): 1_000,
    ("Mutation", "registerUser"): 1_000,
}


def _list_factor(type_: Any) -> int:
    factor = 1
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        if isinstance(type_, GraphQLList):
            factor *= LIST_SIZE
        type_ = type_.of_type
    return factor


def selection_cost(
    selection_set: SelectionSetNode | None,
    parent: Any,
    schema: Any,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str] = frozenset(),
) -> int:
    """Cost of a selection set on `parent` (a GraphQL type), fragments expanded once per path."""
    if selection_set is None or parent is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            if name.startswith("__"):
                continue
            field = getattr(parent, "fields", {}).get(name)
            if field is None:  # unknown fields are reported by the standard rules
                continue
            child = selection_cost(
                selection.selection_set, get_named_type(field.type), schema, fragments, seen
            )
            weight = FIELD_WEIGHTS.get((parent.name, name), 1)
            total += weight + _list_factor(field.type) * child
        elif isinstance(selection, InlineFragmentNode):
            on = parent
            if selection.type_condition is not None:
                on = schema.get_type(selection.type_condition.name.value)
            total += selection_cost(selection.selection_set, on, schema, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:  # cycles are reported by NoFragmentCycles
                continue
            on = schema.get_type(fragment.type_condition.name.value)
            total += selection_cost(fragment.selection_set, on, schema, fragments, seen | {name})
    return total


class CostLimit(ValidationRule):
    """Reject any operation whose cost exceeds MAX_COST, naming both numbers."""

    def enter_document(self, node: DocumentNode, *_args: Any) -> Any:
        schema = self.context.schema
        fragments = {
            d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)
        }
        for definition in node.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            root = schema.get_root_type(definition.operation)
            cost = selection_cost(definition.selection_set, root, schema, fragments)
            if cost > MAX_COST:
                self.report_error(
                    GraphQLError(
                        f"Query cost {cost} exceeds the maximum of {MAX_COST}: "
                        "select fewer fields or split the request.",
                        definition,
                    )
                )
        return self.SKIP
