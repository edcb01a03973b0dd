"""The `Device` interface and one concrete type per kind."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app import models
from app.errors import BadUserInput, NotFound
from app.graphql.context import Info
from app.graphql.history import history_field
from app.graphql.types.control import (
    BatteryMode,
    DepartureRule,
    DeviceEvent,
    EVChargeMode,
    GeneratorMode,
    schedule_of,
)
from app.graphql.types.convert import from_attributes
from app.graphql.types.enums import DeviceKind, EVMode
from app.graphql.types.readings import DeviceReading
from app.models.loads import DEFAULT_AC_SETPOINT_C, DEFAULT_HEATER_SETPOINT_C
from app.repositories.device import DeviceRecord

if TYPE_CHECKING:
    from app.graphql.types.home import Home

#: The most events one `Device.events` returns.
MAX_EVENTS = 50


@strawberry.interface(name="Device")
class Device:
    id: strawberry.ID
    name: str
    kind: DeviceKind
    created_at: datetime
    _uuid: strawberry.Private[uuid.UUID]
    _home_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The home the device belongs to.")
    async def home(self, info: Info) -> Annotated[Home, strawberry.lazy("app.graphql.types.home")]:
        from app.graphql.types.home import Home

        home = await info.context.loaders.home.load(self._home_id)
        if home is None:  # deleted meanwhile, with the device
            raise NotFound(f"device {self.id!r} not found")
        return Home.from_model(home)

    @strawberry.field(description="Latest simulated reading; null before the first cycle.")
    async def live(self, info: Info) -> DeviceReading | None:
        reading = await info.context.loaders.live_reading.load(self._uuid)
        return DeviceReading.from_live(reading) if reading is not None else None

    @strawberry.field(description="Control changes of this device, newest first.")
    async def events(self, info: Info, first: int | None = 20) -> list[DeviceEvent]:
        if first is None:
            first = 20
        if first < 0 or first > MAX_EVENTS:
            raise BadUserInput("first", f"must be within [0, {MAX_EVENTS}]")
        found = await info.context.loaders.device_events.load((self._uuid, first))
        return [DeviceEvent.from_model(e) for e in found]

    # The device was resolved through the caller's own devices, so it is theirs.
    history = history_field(
        lambda device, _: device._uuid,
        device=True,
        # MINUTE is BAD_USER_INPUT unless HISTORY_DEVICE_MINUTE (docs/history.md).
        description="This device's energy per bucket (see energyHistory).",
    )

    @classmethod
    def from_model(cls, m: models.Device | DeviceRecord) -> Any:
        """This type built from a device (ORM instance or plain record): each field of the
        type reads the model attribute of the same name."""
        return from_attributes(cls, m, id=strawberry.ID(str(m.id)), _uuid=m.id, _home_id=m.home_id)


@strawberry.type(name="SolarPanel")
class SolarPanel(Device):
    panel_area_m2: float
    efficiency: float
    max_capacity_w: float
    latitude: float
    longitude: float
    tilt_deg: float = strawberry.field(description="Tilt from horizontal, degrees (0: flat).")
    azimuth_deg: float = strawberry.field(
        description="Facing, degrees clockwise from north (180: south)."
    )


def _rated_load(name: str) -> Any:
    """A kind described by its rated power alone (a generator, an air conditioner, a heater)."""
    namespace = {"__annotations__": {"rated_power_w": float}, "__module__": __name__}
    return strawberry.type(type(name, (Device,), namespace), name=name)


@strawberry.type(name="Generator")
class Generator(Device):
    rated_power_w: float
    mode: GeneratorMode = strawberry.field(
        description="OFF, ON (always running), AUTO (runs while the home would import more "
        "than autoStartImportW, at least 15 minutes per start)."
    )
    auto_start_import_w: float


@strawberry.type(name="Battery")
class Battery(Device):
    capacity_wh: float
    c_rate: float = strawberry.field(
        description="Max charge/discharge power = capacityWh * cRate (W)."
    )
    current_level_wh: float = strawberry.field(description="Always within [0, capacityWh].")
    mode: BatteryMode = strawberry.field(
        description="OPTIMIZED follows the home's plan (SELF_CONSUMPTION while it has none)."
    )
    reserve_soc_percent: float = strawberry.field(description="Never discharged below this.")
    round_trip_efficiency: float


@strawberry.type(name="ElectricVehicle")
class ElectricVehicle(Device):
    battery_capacity_kwh: float
    current_charge_kwh: float
    charge_rate_kw: float
    driving_consumption_kwh_per_hour: float = strawberry.field(
        description="Energy used per hour away."
    )
    mode: EVMode = strawberry.field(
        description="Effective mode: OFFLINE while away, else the owner's chosen mode."
    )
    mode_setting: EVMode = strawberry.field(
        description="The owner's choice (setElectricVehicleMode); applies whenever connected."
    )
    last_seen_at: datetime | None
    charge_mode: EVChargeMode
    min_soc_percent: float = strawberry.field(description="Charged at once, from any source.")
    limit_soc_percent: float = strawberry.field(description="Never charged above this.")
    schedule: list[DepartureRule] = strawberry.field(
        description="Weekly departure rules in the home's local time."
    )

    @strawberry.field(description="The next departure by the schedule; null when none.")
    async def next_departure(self, info: Info) -> datetime | None:
        from app.simulation.control import next_departure_s, parse_schedule

        home = await info.context.loaders.home.load(self._home_id)
        if home is None:
            return None
        rules = parse_schedule([_rule_json(r) for r in self.schedule])
        leave = next_departure_s(rules, home.timezone, datetime.now(UTC).timestamp())
        return None if leave != leave else datetime.fromtimestamp(leave, UTC)

    @classmethod
    def from_model(cls, m: models.Device | DeviceRecord) -> Any:
        rules = [DepartureRule.from_json(r) for r in schedule_of(getattr(m, "schedule", None))]
        return from_attributes(
            cls,
            m,
            id=strawberry.ID(str(m.id)),
            _uuid=m.id,
            _home_id=m.home_id,
            schedule=rules,
        )


def _rule_json(rule: DepartureRule) -> dict[str, Any]:
    return {
        "days": [d.name for d in rule.days],
        "departAt": rule.depart_at,
        "returnAt": rule.return_at,
        "targetSocPercent": rule.target_soc_percent,
    }


def _thermostatic(name: str) -> Any:
    """An air conditioner or heater with its thermostat (docs/physics.md)."""

    def from_model(cls: Any, m: models.Device | DeviceRecord) -> Any:
        setpoint = m.setpoint_c  # type: ignore[union-attr]
        default = (
            DEFAULT_AC_SETPOINT_C
            if m.kind == models.DeviceKind.AIR_CONDITIONER
            else DEFAULT_HEATER_SETPOINT_C
        )
        return from_attributes(
            cls,
            m,
            id=strawberry.ID(str(m.id)),
            _uuid=m.id,
            _home_id=m.home_id,
            on=bool(m.switched_on),  # type: ignore[union-attr]
            setpoint_c=default if setpoint is None else setpoint,
        )

    namespace = {
        "__annotations__": {
            "rated_power_w": float,
            "on": bool,
            "setpoint_c": float,
            "indoor_temperature_c": float | None,
        },
        "__module__": __name__,
        "on": strawberry.field(description="Switched off, the device draws nothing."),
        "setpoint_c": strawberry.field(
            description="Target room temperature, degC (default 24 for an air conditioner, 20 "
            "for a heater; until set with setThermostat the device follows the outdoor "
            "temperature)."
        ),
        "indoor_temperature_c": strawberry.field(
            description="The room's simulated temperature, degC; null until the thermostat runs."
        ),
        "from_model": classmethod(from_model),
    }
    return strawberry.type(type(name, (Device,), namespace), name=name)


AirConditioner = _thermostatic("AirConditioner")
Heater = _thermostatic("Heater")


@strawberry.type(name="HouseholdLoad")
class HouseholdLoad(Device):
    annual_consumption_kwh: float = strawberry.field(
        description="Yearly consumption the BDEW H0 profile is scaled to, kWh."
    )


CONCRETE_TYPES: tuple[type[Device], ...] = (
    SolarPanel,
    Generator,
    Battery,
    ElectricVehicle,
    AirConditioner,
    Heater,
    HouseholdLoad,
)

#: The GraphQL type of each kind.
TYPE_BY_KIND: dict[models.DeviceKind, type[Device]] = {
    models.DeviceKind.SOLAR_PANEL: SolarPanel,
    models.DeviceKind.GENERATOR: Generator,
    models.DeviceKind.BATTERY: Battery,
    models.DeviceKind.ELECTRIC_VEHICLE: ElectricVehicle,
    models.DeviceKind.AIR_CONDITIONER: AirConditioner,
    models.DeviceKind.HEATER: Heater,
    models.DeviceKind.HOUSEHOLD: HouseholdLoad,
}


def device_from_model(m: models.Device | DeviceRecord) -> Device:
    """Convert any device (ORM instance or plain record) to its concrete GraphQL type."""
    converted: Device = TYPE_BY_KIND[models.DeviceKind(m.kind)].from_model(m)
    return converted
