"""The `Device` interface and one concrete type per kind."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app import models
from app.errors import NotFound
from app.graphql.context import Info
from app.graphql.history import After, First, From, To, resolve_history
from app.graphql.types.enums import DeviceKind, EVMode
from app.graphql.types.history import EnergyHistoryConnection, HistoryResolution
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

    @strawberry.field(description="This device's energy per bucket (see energyHistory).")
    async def history(
        self,
        info: Info,
        resolution: HistoryResolution,
        from_: From,
        to: To,
        first: First = None,
        after: After = None,
    ) -> EnergyHistoryConnection:
        # The device was resolved through the caller's own devices, so it is theirs.
        return await resolve_history(info, self._uuid, resolution, from_, to, first, after)


def _base(m: models.Device) -> dict[str, object]:
    return {
        "id": strawberry.ID(str(m.id)),
        "_uuid": m.id,
        "_home_id": m.home_id,
        "name": m.name,
        "kind": m.kind,
        "created_at": m.created_at,
    }


@strawberry.type(name="SolarPanel")
class SolarPanel(Device):
    panel_area_m2: float
    efficiency: float
    max_capacity_w: float
    latitude: float
    longitude: float

    @classmethod
    def from_model(cls, m: models.SolarPanel) -> SolarPanel:
        return cls(
            **_base(m),  # type: ignore[arg-type]
            panel_area_m2=m.panel_area_m2,
            efficiency=m.efficiency,
            max_capacity_w=m.max_capacity_w,
            latitude=m.latitude,
            longitude=m.longitude,
        )


@strawberry.type(name="Generator")
class Generator(Device):
    rated_power_w: float

    @classmethod
    def from_model(cls, m: models.Generator) -> Generator:
        return cls(**_base(m), rated_power_w=m.rated_power_w)  # type: ignore[arg-type]


@strawberry.type(name="Battery")
class Battery(Device):
    capacity_wh: float
    c_rate: float = strawberry.field(
        description="Max charge/discharge power = capacityWh * cRate (W)."
    )
    current_level_wh: float = strawberry.field(description="Always within [0, capacityWh].")

    @classmethod
    def from_model(cls, m: models.Battery) -> Battery:
        return cls(
            **_base(m),  # type: ignore[arg-type]
            capacity_wh=m.capacity_wh,
            c_rate=m.c_rate,
            current_level_wh=m.current_level_wh,
        )


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

    @classmethod
    def from_model(cls, m: models.ElectricVehicle) -> ElectricVehicle:
        return cls(
            **_base(m),  # type: ignore[arg-type]
            battery_capacity_kwh=m.battery_capacity_kwh,
            current_charge_kwh=m.current_charge_kwh,
            charge_rate_kw=m.charge_rate_kw,
            driving_consumption_kwh_per_hour=m.driving_consumption_kwh_per_hour,
            mode=m.mode,
            mode_setting=m.mode_setting,
            last_seen_at=m.last_seen_at,
        )


@strawberry.type(name="AirConditioner")
class AirConditioner(Device):
    rated_power_w: float

    @classmethod
    def from_model(cls, m: models.AirConditioner) -> AirConditioner:
        return cls(**_base(m), rated_power_w=m.rated_power_w)  # type: ignore[arg-type]


@strawberry.type(name="Heater")
class Heater(Device):
    rated_power_w: float

    @classmethod
    def from_model(cls, m: models.Heater) -> Heater:
        return cls(**_base(m), rated_power_w=m.rated_power_w)  # type: ignore[arg-type]


CONCRETE_TYPES: tuple[type[Device], ...] = (
    SolarPanel,
    Generator,
    Battery,
    ElectricVehicle,
    AirConditioner,
    Heater,
)

_BY_MODEL: dict[type[models.Device], Any] = {
    models.SolarPanel: SolarPanel,
    models.Generator: Generator,
    models.Battery: Battery,
    models.ElectricVehicle: ElectricVehicle,
    models.AirConditioner: AirConditioner,
    models.Heater: Heater,
}


_BY_KIND: dict[str, Any] = {
    str(model.__mapper__.polymorphic_identity): graphql_type
    for model, graphql_type in _BY_MODEL.items()
}


def device_from_model(m: models.Device | DeviceRecord) -> Device:
    """Convert any device (ORM instance or plain record) to its concrete GraphQL type."""
    cls = _BY_KIND[m.kind] if isinstance(m, DeviceRecord) else _BY_MODEL[type(m)]
    converted: Device = cls.from_model(m)
    return converted
