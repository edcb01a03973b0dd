"""Create inputs (names and defaults fixed by API.md)."""

from __future__ import annotations

import strawberry

# Optional fields with a default accept an explicit null as "use the default" (API.md types
# them nullable); the service layer substitutes the default.


@strawberry.input(name="SolarPanelInput")
class SolarPanelInput:
    name: str
    panel_area_m2: float
    max_capacity_w: float
    efficiency: float | None = 0.2
    latitude: float | None = strawberry.UNSET
    longitude: float | None = strawberry.UNSET
    home_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Default: the caller's first home."
    )


@strawberry.input(name="GeneratorInput")
class GeneratorInput:
    name: str
    rated_power_w: float
    home_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Default: the caller's first home."
    )


@strawberry.input(name="BatteryInput")
class BatteryInput:
    name: str
    capacity_wh: float
    c_rate: float | None = 0.5
    initial_level_wh: float | None = 0.0
    home_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Default: the caller's first home."
    )


@strawberry.input(name="ElectricVehicleInput")
class ElectricVehicleInput:
    name: str
    battery_capacity_kwh: float
    current_charge_kwh: float | None = strawberry.UNSET
    charge_rate_kw: float | None = 7.2
    driving_consumption_kwh_per_hour: float | None = 2.0
    home_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Default: the caller's first home."
    )


@strawberry.input(name="AirConditionerInput")
class AirConditionerInput:
    name: str
    rated_power_w: float
    home_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Default: the caller's first home."
    )


@strawberry.input(name="HeaterInput")
class HeaterInput:
    name: str
    rated_power_w: float
    home_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Default: the caller's first home."
    )


@strawberry.input(name="HomeInput")
class HomeInput:
    name: str
    timezone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="IANA name; createHome default: the service's; updateHome: unchanged.",
    )
    latitude: float | None = strawberry.UNSET
    longitude: float | None = strawberry.UNSET


def given(value: float | None, default: float) -> float:
    """An optional input's value, or its documented default when null or omitted."""
    return default if value is None or value is strawberry.UNSET else value


def optional(value: float | None) -> float | None:
    return None if value is strawberry.UNSET else value


def optional_id(value: strawberry.ID | None) -> str | None:
    return None if value is None or value is strawberry.UNSET else str(value)


def optional_str(value: str | None) -> str | None:
    return None if value is None or value is strawberry.UNSET else value
