"""Validation errors that name the offending field (GraphQL: BAD_USER_INPUT)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.errors import BadUserInput


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field; `field` is a path in the GraphQL input's own names,
    relative to the argument: `currency`, `windows[2].startTime`, `prices[17].start`."""

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


class TariffInputError(BadUserInput):
    """Every problem found in one tariff, upload or range input (at least one).

    `field` and the message name the first problem (in input order); `errors` has them all.
    """

    def __init__(self, errors: Sequence[FieldError]) -> None:
        if not errors:
            raise ValueError("TariffInputError needs at least one FieldError")
        first = errors[0]
        super().__init__(first.field, first.problem)
        self.errors: tuple[FieldError, ...] = tuple(errors)
        if len(self.errors) > 1:
            more = len(self.errors) - 1
            self.message = f"{first} (and {more} more problem{'s' if more > 1 else ''})"
            self.args = (self.message,)
