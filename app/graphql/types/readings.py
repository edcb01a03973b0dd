"""Live readings and user figures."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.graphql.types.convert import from_attributes
from app.live import readings


@strawberry.type(name="StorageReading")
class StorageReading:
    capacity_wh: float
    current_level_wh: float
    flow_w: float


@strawberry.type(
    name="DeviceReading",
    description="Latest simulated reading of one device; null before its first cycle or once "
    "it has expired.",
)
class DeviceReading:
    power_w: float
    status: str
    timestamp: datetime
    storage: StorageReading | None

    @classmethod
    def from_live(cls, r: readings.DeviceReading) -> DeviceReading:
        storage = (
            StorageReading(
                capacity_wh=r.storage.capacity_wh,
                current_level_wh=r.storage.current_level_wh,
                flow_w=r.storage.flow_w,
            )
            if r.storage is not None
            else None
        )
        return cls(power_w=r.power_w, status=r.status, timestamp=r.timestamp, storage=storage)


@strawberry.type(name="EnergyStats")
class EnergyStats:
    current_production: float
    current_consumption: float
    storage_flow: float
    net_grid_flow: float
    timestamp: datetime | None = strawberry.field(
        description="Instant of the simulation cycle the figures come from; null when there is "
        "none (all figures 0)."
    )
    currency: str | None = strawberry.field(
        default=None,
        description="The tariff's currency; null without a tariff, or across homes whose "
        "currencies differ.",
    )
    import_price_per_kwh: float | None = strawberry.field(
        default=None, description="The import price in force at the cycle instant."
    )
    export_price_per_kwh: float | None = strawberry.field(
        default=None, description="The export price in force at the cycle instant."
    )
    cost_rate_per_hour: float | None = strawberry.field(
        default=None,
        description="Money per hour at the current grid flow and price (> 0 paying); for "
        "several homes, the sum over the priced ones.",
    )
    cost_today: float | None = strawberry.field(
        default=None,
        description="The home's local day so far: import cost - export revenue + the day's "
        "fixed charge (> 0 paying), as recorded with the cycle's history; for several homes, "
        "the sum over the priced ones, each on its own local day. Null without a tariff or "
        "across currencies.",
    )

    @classmethod
    def from_live(cls, s: readings.EnergyStats) -> EnergyStats:
        converted: EnergyStats = from_attributes(cls, s)
        return converted
