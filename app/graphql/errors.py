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


class _FieldOfValue(Visitor):
    """Finds the argument or input field whose value holds the node at `start`."""

    def __init__(self, kind: str, start: int) -> None:
        super().__init__()
        self.kind = kind
        self.start = start
        self.name: str | None = None

    def enter(self, node: Node, key: Any, parent: Any, path: Any, ancestors: Any) -> Any:
        if node.kind == self.kind and node.loc is not None and node.loc.start == self.start:
            for ancestor in reversed([*ancestors, parent]):
                if isinstance(ancestor, ArgumentNode | ObjectFieldNode):
                    self.name = ancestor.name.value
                    break
            return BREAK
        return None


def field_of(document: DocumentNode | None, error: GraphQLError) -> str | None:
    """The argument or input field a literal-value error is about (graphql-core omits it)."""
    if document is None or not error.nodes or error.nodes[0].loc is None:
        return None
    node = error.nodes[0]
    finder = _FieldOfValue(node.kind, node.loc.start)  # type: ignore[union-attr]
    visit(document, finder)
    return finder.name


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
        document = getattr(context, "graphql_document", None)
        out: list[GraphQLError] = []
        for error in errors:
            code = classify(error)
            if code is None:
                out.append(with_code(error, "INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE))
            elif code == "BAD_USER_INPUT" and error.path is None:
                # API.md: bad input gets a message naming the field; a bad literal
                # (`devices(kind: NOPE)`) is reported by graphql-core without it.
                field = field_of(document, error)
                message = f"{field}: {error.message}" if field else None
                out.append(with_code(error, code, message))
            else:
                out.append(with_code(error, code))
        return out


def log_unexpected(errors: list[GraphQLError]) -> None:
    """Log only what is not an expected, coded error (with its traceback, server side only)."""
    for error in errors:
        if classify(error) is None:
            logger.error(
                "unexpected error in GraphQL resolver",
                exc_info=error.original_error,
                extra={"path": error.path},
            )
