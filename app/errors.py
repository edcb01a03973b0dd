"""Domain errors; transports (GraphQL, REST, jobs) decide how to present them."""

from __future__ import annotations


class AppError(Exception):
    """An expected error whose message is safe to show to the caller."""

    code = "INTERNAL_SERVER_ERROR"
    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadUserInput(AppError):
    code = "BAD_USER_INPUT"
    status_code = 400

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class Unauthenticated(AppError):
    code = "UNAUTHENTICATED"
    status_code = 401

    def __init__(self, message: str = "authentication required") -> None:
        super().__init__(message)


class NotFound(AppError):
    code = "NOT_FOUND"
    status_code = 404


class TooManyRequests(AppError):
    code = "RATE_LIMITED"
    status_code = 429


class ServiceUnavailable(AppError):
    """A backing service (Redis, the database) did not answer; the caller may retry."""

    code = "SERVICE_UNAVAILABLE"
    status_code = 503
