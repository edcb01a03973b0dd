"""Give every GraphQL error an `extensions.code`, and mask whatever is not expected."""

from __future__ import annotations

import logging
from typing import Any

from graphql import BREAK, ArgumentNode, DocumentNode, Node, ObjectFieldNode, Visitor, visit
from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from app.errors import AppError

logger = logging.getLogger("hems.graphql")

INTERNAL_MESSAGE = "Internal server error"

# graphql-core phrases for bad argument/variable values (an unknown enum, a string for a
# float, a missing required input field): to the client these are bad input, not a bad query.
_INPUT_MARKERS = (
    "Expected value of type",
    "Expected type",
    "does not exist in",
    "got invalid value",
    "of required type",
    "was not provided",
    "cannot represent",
    "Enum '",
    "Float cannot",
    "Int cannot",
    "String cannot",
    "ID cannot",
    "Boolean cannot",
)


def classify(error: GraphQLError) -> str | None:
    """The code for an error, or None when it is unexpected and must be masked."""
    original = error.original_error
    if isinstance(original, AppError):
        return original.code
    if original is None or isinstance(original, GraphQLError):
        message = error.message
        if message.startswith("Syntax Error"):
            return "GRAPHQL_PARSE_FAILED"
        if any(marker in message for marker in _INPUT_MARKERS):
            return "BAD_USER_INPUT"
        return "GRAPHQL_VALIDATION_FAILED"
    return None


def with_code(error: GraphQLError, code: str, message: str | None = None) -> GraphQLError:
    return GraphQLError(
        message=message or error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), "code": code},
    )


class _FieldsOfValues(Visitor):
    """Finds, in one walk, the argument or input field whose value holds each wanted node."""

    def __init__(self, wanted: set[tuple[str, int]]) -> None:
        super().__init__()
        self.wanted = wanted
        self.names: dict[tuple[str, int], str] = {}

    def enter(self, node: Node, key: Any, parent: Any, path: Any, ancestors: Any) -> Any:
        if node.loc is None or (spot := (node.kind, node.loc.start)) not in self.wanted:
            return None
        for ancestor in reversed([*ancestors, parent]):
            if isinstance(ancestor, ArgumentNode | ObjectFieldNode):
                self.names[spot] = ancestor.name.value
                break
        self.wanted.discard(spot)
        return BREAK if not self.wanted else None


def _spot(error: GraphQLError) -> tuple[str, int] | None:
    if not error.nodes or error.nodes[0].loc is None:
        return None
    return error.nodes[0].kind, error.nodes[0].loc.start


def fields_of(
    document: DocumentNode | None, errors: list[GraphQLError]
) -> dict[tuple[str, int], str]:
    """The argument or input field each literal-value error is about (graphql-core omits it),
    keyed by the error's node (kind, position): one walk of the document for all errors."""
    wanted = {spot for error in errors if (spot := _spot(error)) is not None}
    if document is None or not wanted:
        return {}
    finder = _FieldsOfValues(wanted)
    visit(document, finder)
    return finder.names


def with_codes(document: DocumentNode | None, errors: list[GraphQLError]) -> list[GraphQLError]:
    """Every error with its code; unexpected ones masked; bad literals naming their field."""
    codes = [classify(error) for error in errors]
    # API.md: bad input gets a message naming the field; a bad literal (`devices(kind: NOPE)`)
    # is reported by graphql-core without it.
    literals = [
        error
        for error, code in zip(errors, codes, strict=True)
        if code == "BAD_USER_INPUT" and error.path is None
    ]
    fields = fields_of(document, literals)
    out: list[GraphQLError] = []
    for error, code in zip(errors, codes, strict=True):
        if code is None:
            out.append(with_code(error, "INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE))
        elif code == "BAD_USER_INPUT" and error.path is None:
            spot = _spot(error)
            field = None if spot is None else fields.get(spot)
            out.append(with_code(error, code, f"{field}: {error.message}" if field else None))
        else:
            out.append(with_code(error, code))
    return out


class ErrorCodes(MaskErrors):
    """MaskErrors that keeps expected errors (with their code) and hides the rest."""

    def __init__(self) -> None:
        super().__init__(error_message=INTERNAL_MESSAGE)

    def _process_result(self, result: object) -> None:
        # MaskErrors checks a runtime Protocol with isinstance, which walks the protocol's
        # attributes on every call; reading the attribute is the same test, far cheaper.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        context = getattr(self, "execution_context", None)
        return with_codes(getattr(context, "graphql_document", None), errors)


def log_unexpected(errors: list[GraphQLError]) -> None:
    """Log only what is not an expected, coded error (with its traceback, server side only)."""
    for error in errors:
        if classify(error) is None:
            logger.error(
                "unexpected error in GraphQL resolver",
                exc_info=error.original_error,
                extra={"path": error.path},
            )
