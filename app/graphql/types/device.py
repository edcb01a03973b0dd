"""The `Device` interface and one concrete type per kind."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app import models
from app.errors import NotFound
from app.graphql.context import Info
from app.graphql.history import history_field
from app.graphql.types.convert import from_attributes
from app.graphql.types.enums import DeviceKind, EVMode
from app.graphql.types.readings import DeviceReading
from app.repositories.device import DeviceRecord

if TYPE_CHECKING:
    from app.graphql.types.home import Home


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


def _rated_load(name: str) -> Any:
    """A kind described by its rated power alone (a generator, an air conditioner, a heater)."""
    namespace = {"__annotations__": {"rated_power_w": float}, "__module__": __name__}
    return strawberry.type(type(name, (Device,), namespace), name=name)


Generator = _rated_load("Generator")


@strawberry.type(name="Battery")
class Battery(Device):
    capacity_wh: float
    c_rate: float = strawberry.field(
        description="Max charge/discharge power = capacityWh * cRate (W)."
    )
    current_level_wh: float = strawberry.field(description="Always within [0, capacityWh].")


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


AirConditioner = _rated_load("AirConditioner")
Heater = _rated_load("Heater")


CONCRETE_TYPES: tuple[type[Device], ...] = (
    SolarPanel,
    Generator,
    Battery,
    ElectricVehicle,
    AirConditioner,
    Heater,
)

#: The GraphQL type of each kind.
TYPE_BY_KIND: dict[models.DeviceKind, type[Device]] = {
    models.DeviceKind.SOLAR_PANEL: SolarPanel,
    models.DeviceKind.GENERATOR: Generator,
    models.DeviceKind.BATTERY: Battery,
    models.DeviceKind.ELECTRIC_VEHICLE: ElectricVehicle,
    models.DeviceKind.AIR_CONDITIONER: AirConditioner,
    models.DeviceKind.HEATER: Heater,
}


def device_from_model(m: models.Device | DeviceRecord) -> Device:
    """Convert any device (ORM instance or plain record) to its concrete GraphQL type."""
    converted: Device = TYPE_BY_KIND[models.DeviceKind(m.kind)].from_model(m)
    return converted
