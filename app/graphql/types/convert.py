"""Build a GraphQL object from anything with attributes named like its fields."""

from __future__ import annotations

from typing import Any

_FIELDS: dict[type, tuple[str, ...]] = {}


def plain_fields(cls: type) -> tuple[str, ...]:
    """The Python names of a Strawberry type's fields that are not resolvers (cached)."""
    names = _FIELDS.get(cls)
    if names is None:
        definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
        names = _FIELDS[cls] = tuple(
            f.python_name for f in definition.fields if f.base_resolver is None
        )
    return names


def from_attributes(cls: type, source: object, **given: Any) -> Any:
    """`cls` with each field read from `source`'s attribute of the same name, except those
    in `given` (a value converted on the way, or one the source names differently)."""
    values = {name: getattr(source, name) for name in plain_fields(cls) if name not in given}
    return cls(**values, **given)
