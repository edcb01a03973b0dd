"""Give every GraphQL error an `extensions.code`, and mask whatever is not expected."""

from __future__ import annotations

import logging

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


class ErrorCodes(MaskErrors):
    """MaskErrors that keeps expected errors (with their code) and hides the rest."""

    def __init__(self) -> None:
        super().__init__(error_message=INTERNAL_MESSAGE)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        out: list[GraphQLError] = []
        for error in errors:
            code = classify(error)
            if code is None:
                out.append(with_code(error, "INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE))
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
