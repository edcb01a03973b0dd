"""Limits on a GraphQL document's shape and cost, each computed in time linear in the document.

A document of a few hundred bytes can describe an exponential amount of work: fragments that
spread the previous fragment twice double with every level, so anything that walks the
*expansion* (a depth limiter, an alias counter, a cost estimate) runs for seconds while the
event loop waits. Here every fragment is summarised once, memoised by name, and a spread adds
the fragment's numbers instead of walking it again; the numbers may be astronomically large,
the work never is.

Two passes, both linear:

- `check_shape` (no schema): caps that keep the *standard* validation rules cheap as well —
  graphql-core's OverlappingFieldsCanBeMerged compares fields with the same response key
  pairwise, so one key repeated hundreds of times, or hundreds of fragment spreads, cost it
  quadratic time. It also bounds nesting, so the recursive passes below stay shallow.
- `check_limits` (with the schema): depth, aliases and cost of each operation, fragments
  expanded by their memoised summaries.

The cost of an operation is the number of fields it can resolve: a list field counts its
selection `LIST_SIZE` times per level of list nesting, except the list of a connection, which
counts its `first` argument (its default page size when absent) as GitHub's GraphQL API does,
up to `LIST_SIZE`; some fields carry a weight of their own
(logging in and registering run argon2, so one request cannot hash many passwords).
Introspection fields (`__schema`, `__type`, `__typename`) cost nothing and add no depth: they
read static data and are turned off in production.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from app.services.history import DEFAULT_PAGE_SIZE

#: Assumed length of a list that has no `first` (a home's device list is far shorter).
LIST_SIZE = 50
#: The largest cost accepted; a full device list with live readings costs ~900.
MAX_COST = 2_000
#: Fields that cost more than 1 each (type name, field name).
FIELD_WEIGHTS: dict[tuple[str, str], int] = {
    ("Mutation", "loginUser"): 1_000,
    ("Mutation", "registerUser"): 1_000,
}
#: Fields priced by one of their integer arguments: (argument, its default, the largest value
#: priced, cost per unit). A what-if `scenario` replays `days` of cycles through the engine
#: (about a second of CPU per day of a large home), so it costs SCENARIO_DAY_COST per day: one
#: 31-day scenario with all its figures fits in a request, two do not, nor thirty aliased 1-day
#: ones; a request replays at most ~31 days. Values past the largest are priced at it (the
#: resolver refuses them as BAD_USER_INPUT naming the argument).
SCENARIO_DAY_COST = 63
ARGUMENT_WEIGHTS: dict[tuple[str, str], tuple[str, int, int, int]] = {
    ("Query", "scenario"): ("days", 7, 31, SCENARIO_DAY_COST),
}
#: Connections and their default page size (when `first` is absent).
CONNECTION_PAGES: dict[str, int] = {"EnergyHistoryConnection": DEFAULT_PAGE_SIZE}
#: Plain lists counted at their own `first` argument (default when absent), by item type:
#: `Device.events(first: Int = 20)`.
FIRST_LISTS: dict[str, int] = {"DeviceEvent": 20}

MAX_DEPTH = 10
MAX_ALIASES = 30
#: Selections in one selection set (its fields, spreads and inline fragments).
MAX_SELECTIONS = 100
#: Fields with one response key in one selection set, inline fragments included: `{ id id }`
#: is legal, a hundred of them only feed the pairwise field-merging check.
MAX_KEY_REPEATS = 5
#: Arguments of one field (unknown ones each get suggestions from the field's arguments).
MAX_ARGUMENTS = 20
#: Fragment spreads in the whole document, and fragment definitions.
MAX_SPREADS = 100
MAX_FRAGMENTS = 50
#: Operations in one document (the standard rules check each against every fragment).
MAX_OPERATIONS = 20
#: Nesting of selection sets, inline fragments included (the depth limit counts fields only).
MAX_NESTING = 3 * MAX_DEPTH


def _error(message: str, node: Any = None) -> GraphQLError:
    return GraphQLError(message, node)


def check_shape(document: DocumentNode) -> list[GraphQLError]:
    """Refuse documents whose size alone would make the standard rules slow.

    Iterative (no recursion), one visit per selection: it runs before anything else walks the
    document, so it must hold for any shape the parser accepts.
    """
    fragments = sum(isinstance(d, FragmentDefinitionNode) for d in document.definitions)
    if fragments > MAX_FRAGMENTS:
        return [_error(f"{fragments} fragments found. Allowed: {MAX_FRAGMENTS}")]
    operations = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
    if operations > MAX_OPERATIONS:
        return [_error(f"{operations} operations found. Allowed: {MAX_OPERATIONS}")]
    spreads = 0
    # Selection sets of fields (and of definitions): each, with the inline fragments inside
    # it, is one set of fields for merging, so response keys are counted across all of them.
    fields_sets: list[tuple[SelectionSetNode, int]] = [
        (d.selection_set, 1)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while fields_sets:
        keys: dict[str, int] = {}
        merged = [fields_sets.pop()]
        while merged:
            selection_set, nesting = merged.pop()
            if nesting > MAX_NESTING:
                return [_error(f"Selections nested deeper than {MAX_NESTING}", selection_set)]
            if (count := len(selection_set.selections)) > MAX_SELECTIONS:
                return [
                    _error(
                        f"{count} selections in one selection set. Allowed: {MAX_SELECTIONS}",
                        selection_set,
                    )
                ]
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    keys[key] = repeats = keys.get(key, 0) + 1
                    if repeats > MAX_KEY_REPEATS:
                        return [
                            _error(
                                f"'{key}' selected {repeats} times in one selection set. "
                                f"Allowed: {MAX_KEY_REPEATS}",
                                selection,
                            )
                        ]
                    if (count := len(selection.arguments or ())) > MAX_ARGUMENTS:
                        return [
                            _error(
                                f"{count} arguments on '{key}'. Allowed: {MAX_ARGUMENTS}",
                                selection,
                            )
                        ]
                    if selection.selection_set is not None:
                        fields_sets.append((selection.selection_set, nesting + 1))
                elif isinstance(selection, InlineFragmentNode):
                    merged.append((selection.selection_set, nesting + 1))
                else:
                    spreads += 1
                    if spreads > MAX_SPREADS:
                        return [_error(f"More than {MAX_SPREADS} fragment spreads found")]
    return []


@dataclass(frozen=True, slots=True)
class _Summary:
    """What a selection set adds to its operation: field depth, aliases and cost."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0


_NOTHING = _Summary()


class _Operation:
    """Summaries of one operation's selections, each fragment computed once per page size."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        operation: OperationDefinitionNode,
        variables: Mapping[str, int],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = dict(variables)
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            default = definition.default_value
            if name not in self.variables and isinstance(default, IntValueNode):
                self.variables[name] = int(default.value)
        self.memo: dict[tuple[str, int | None], _Summary] = {}

    def selections(
        self, selection_set: SelectionSetNode, parent: Any, page: int | None
    ) -> _Summary:
        """`parent` is the GraphQL type selected on (None where unknown: depth and aliases
        still count); `page` is the page size of the connection this selection set is on."""
        depth = aliases = cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                aliases += selection.alias is not None
                name = selection.name.value
                field = None if parent is None else getattr(parent, "fields", {}).get(name)
                introspection = name.startswith("__")
                sub = _NOTHING
                if selection.selection_set is not None:
                    child = None if field is None or introspection else field.type
                    sub = self.selections(
                        selection.selection_set,
                        None if child is None else get_named_type(child),
                        None if field is None else self._page(field, selection),
                    )
                aliases += sub.aliases
                if introspection:
                    continue
                if selection.selection_set is not None:
                    depth = max(depth, 1 + sub.depth)
                if field is not None:
                    weight = self._weight(parent.name, name, selection)
                    own = self._first(field, selection, FIRST_LISTS)
                    factor = _list_factor(field.type, page if own is None else own)
                    cost += weight + factor * sub.cost
                continue
            if isinstance(selection, InlineFragmentNode):
                on = parent
                if selection.type_condition is not None:
                    on = self.schema.get_type(selection.type_condition.name.value)
                sub = self.selections(selection.selection_set, on, page)
            else:
                assert isinstance(selection, FragmentSpreadNode)
                sub = self._fragment(selection.name.value, page)
            depth = max(depth, sub.depth)
            aliases += sub.aliases
            cost += sub.cost
        return _Summary(depth, aliases, cost)

    def _fragment(self, name: str, page: int | None) -> _Summary:
        key = (name, page)
        summary = self.memo.get(key)
        if summary is None:
            fragment = self.fragments.get(name)
            # Unknown fragments and cycles are reported by the standard rules.
            self.memo[key] = _NOTHING
            if fragment is not None:
                on = self.schema.get_type(fragment.type_condition.name.value)
                self.memo[key] = summary = self.selections(fragment.selection_set, on, page)
            else:
                summary = _NOTHING
        return summary

    def _weight(self, type_name: str, name: str, node: FieldNode) -> int:
        """The field's own cost: its FIELD_WEIGHTS entry, plus its priced argument's value
        (a literal or the variable's; the default when absent or null) per unit."""
        weight = FIELD_WEIGHTS.get((type_name, name), 1)
        priced = ARGUMENT_WEIGHTS.get((type_name, name))
        if priced is None:
            return weight
        argument_name, default, largest, unit = priced
        value = default
        for argument in node.arguments or ():
            if argument.name.value != argument_name:
                continue
            given = argument.value
            if isinstance(given, IntValueNode):
                value = int(given.value)
            elif isinstance(given, VariableNode):
                value = self.variables.get(given.name.value, default)
        return weight + unit * max(1, min(value, largest))

    def _page(self, field: Any, node: FieldNode) -> int | None:
        return self._first(field, node, CONNECTION_PAGES)

    def _first(self, field: Any, node: FieldNode, pages: Mapping[str, int]) -> int | None:
        """The page size a connection field is counted at; None for any other field.

        Its `first` (a literal, or the variable's value; the connection's default page when
        absent or null), but never more than LIST_SIZE, the size every list was counted at
        before connections counted `first`: a client reading one full page still costs what
        it always did, while a few buckets of every device become affordable.
        """
        default = pages.get(get_named_type(field.type).name)
        if default is None:
            return None
        requested = default
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                requested = int(value.value)
            elif isinstance(value, VariableNode):
                requested = self.variables.get(value.name.value, default)
        return max(0, min(requested, LIST_SIZE))


def _list_factor(type_: Any, page: int | None) -> int:
    factor = 1
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        if isinstance(type_, GraphQLList):
            factor *= LIST_SIZE if page is None else page
        type_ = type_.of_type
    return factor


def int_variables(variables: Mapping[str, Any] | None) -> tuple[tuple[str, int], ...]:
    """The integer-valued variables of a request: all that a connection's cost can depend on
    (a hashable key for caching `check_limits`)."""
    if not variables:
        return ()
    return tuple(
        (name, value)
        for name, value in variables.items()
        if type(value) is int  # bool is not a page size
    )


def check_limits(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: tuple[tuple[str, int], ...] = (),
) -> list[GraphQLError]:
    """Shape, depth, alias and cost limits of a document; nothing else runs if any fails."""
    errors = check_shape(document)
    if errors:
        return errors
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    aliases = 0
    for definition in _operations(document):
        operation = _Operation(schema, fragments, definition, dict(variables))
        root = schema.get_root_type(definition.operation)
        summary = operation.selections(definition.selection_set, root, None)
        name = definition.name.value if definition.name else "anonymous"
        if summary.depth > MAX_DEPTH:
            errors.append(
                _error(f"'{name}' exceeds maximum operation depth of {MAX_DEPTH}", definition)
            )
        elif summary.cost > MAX_COST:
            errors.append(
                _error(
                    f"Query cost {summary.cost} exceeds the maximum of {MAX_COST}: "
                    "select fewer fields or split the request.",
                    definition,
                )
            )
        aliases += summary.aliases
    if aliases > MAX_ALIASES:
        errors.append(_error(f"{aliases} aliases found. Allowed: {MAX_ALIASES}"))
    return errors


def _operations(document: DocumentNode) -> Iterator[OperationDefinitionNode]:
    return (d for d in document.definitions if isinstance(d, OperationDefinitionNode))
