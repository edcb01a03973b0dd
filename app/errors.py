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


def is_transient(exc: BaseException) -> bool:
    """Infrastructure failures (connection lost, timeout): retry, don't blame a home or a user."""
    # Imported here: this module is the bottom layer, and most of its users never call this.
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(
        exc, (OSError, TimeoutError, RedisConnectionError, RedisTimeoutError, ServiceUnavailable)
    ):
        return True
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
