"""Create inputs, one per device kind, built from the service's table of fields
(`app.services.device.KINDS`); names and defaults are fixed by API.md."""

from __future__ import annotations

from typing import Any

import strawberry

from app import models
from app.services import device as devices

# Optional fields with a default accept an explicit null as "use the default" (API.md types
# them nullable); the service layer substitutes the default. A computed default (a location,
# half the capacity) shows as no default in the schema.


def type_name(kind: models.DeviceKind) -> str:
    """The GraphQL type name of a kind: SOLAR_PANEL -> SolarPanel (HOUSEHOLD -> HouseholdLoad)."""
    if kind == models.DeviceKind.HOUSEHOLD:
        return "HouseholdLoad"
    return "".join(part.capitalize() for part in kind.split("_"))


def _input(spec: devices.KindSpec) -> Any:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations, "__module__": __name__}
    for f in (*devices.COMMON, *spec.fields):
        if f.default is None:
            annotations[f.name] = f.type
        else:
            annotations[f.name] = f.type | None
            namespace[f.name] = strawberry.UNSET if callable(f.default) else f.default
    # Every kind's device goes to a home: the caller's, checked by the mutation.
    annotations["home_id"] = strawberry.ID | None
    namespace["home_id"] = strawberry.field(
        default=strawberry.UNSET, description="Default: the caller's first home."
    )
    name = f"{type_name(spec.kind)}Input"
    return strawberry.input(type(name, (), namespace), name=name)


#: The create input of each kind.
INPUTS: dict[models.DeviceKind, Any] = {kind: _input(spec) for kind, spec in devices.KINDS.items()}


def values_of(kind: models.DeviceKind, given: object) -> dict[str, Any]:
    """An input's values by Python name; omitted (UNSET) and null both become None."""
    out: dict[str, Any] = {}
    for f in (*devices.COMMON, *devices.KINDS[kind].fields):
        value = getattr(given, f.name)
        out[f.name] = None if value is strawberry.UNSET else value
    return out


def optional(value: float | None) -> float | None:
    return None if value is strawberry.UNSET else value


def optional_id(value: strawberry.ID | None) -> str | None:
    return None if value is None or value is strawberry.UNSET else str(value)


def optional_str(value: str | None) -> str | None:
    return None if value is None or value is strawberry.UNSET else value


@strawberry.input(name="HomeInput")
class HomeInput:
    name: str
    timezone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="IANA name; createHome default: the service's; updateHome: unchanged.",
    )
    latitude: float | None = strawberry.UNSET
    longitude: float | None = strawberry.UNSET
