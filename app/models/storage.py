"""Devices that store energy: home batteries and electric vehicles.

Their level is durable state, advanced by the simulation: `simulated_at` is the instant the
stored level refers to, so a late, repeated or retried cycle advances it by the real elapsed time
exactly once. `flow_w` is the flow reported for that instant (> 0 charging), kept so that a
re-run of the same cycle reproduces the same readings.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Enum, Float, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import UTCDateTime
from app.models.control import (
    DEFAULT_SCHEDULE_SQL,
    BatteryMode,
    EVChargeMode,
    control_enum,
    default_schedule,
)
from app.models.device import Device, DeviceKind, kind_key, quantity, setting, subclass_args


class EVMode(StrEnum):
    CHARGING = "CHARGING"
    DISCHARGING = "DISCHARGING"  # vehicle-to-home
    OFFLINE = "OFFLINE"


class Battery(Device):
    __tablename__ = "battery"
    __table_args__ = (
        CheckConstraint("capacity_wh > 0", name="capacity_positive"),
        CheckConstraint("c_rate > 0", name="c_rate_positive"),
        CheckConstraint(
            "current_level_wh >= 0 AND current_level_wh <= capacity_wh", name="level_range"
        ),
    )
    __mapper_args__ = subclass_args(DeviceKind.BATTERY)

    id: Mapped[uuid.UUID] = kind_key()
    capacity_wh: Mapped[float] = quantity()
    c_rate: Mapped[float] = quantity()
    current_level_wh: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    flow_w: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    simulated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Controls (app/models/control.py): the defaults are the original self-consumption battery.
    mode: Mapped[BatteryMode] = mapped_column(
        control_enum(BatteryMode, "battery_mode"),
        nullable=False,
        default=BatteryMode.SELF_CONSUMPTION,
        server_default=BatteryMode.SELF_CONSUMPTION.value,
    )
    reserve_soc_percent: Mapped[float] = setting(0.0)
    round_trip_efficiency: Mapped[float] = setting(1.0)


def _ev_mode(name: str) -> Enum:
    return Enum(EVMode, name=name, native_enum=False, create_constraint=True, length=16)


class ElectricVehicle(Device):
    __tablename__ = "electric_vehicle"
    __table_args__ = (
        CheckConstraint("battery_capacity_kwh > 0", name="capacity_positive"),
        CheckConstraint(
            "current_charge_kwh >= 0 AND current_charge_kwh <= battery_capacity_kwh",
            name="charge_range",
        ),
        CheckConstraint("charge_rate_kw > 0", name="charge_rate_positive"),
        CheckConstraint("driving_consumption_kwh_per_hour >= 0", name="driving_nonnegative"),
    )
    __mapper_args__ = subclass_args(DeviceKind.ELECTRIC_VEHICLE)

    id: Mapped[uuid.UUID] = kind_key()
    battery_capacity_kwh: Mapped[float] = quantity()
    current_charge_kwh: Mapped[float] = quantity()
    charge_rate_kw: Mapped[float] = quantity()
    driving_consumption_kwh_per_hour: Mapped[float] = quantity()
    # `mode` is the effective state the simulation last saw (OFFLINE while away);
    # `mode_setting` is the owner's choice, which the commute schedule never overwrites.
    mode: Mapped[EVMode] = mapped_column(_ev_mode("ev_mode"), nullable=False)
    mode_setting: Mapped[EVMode] = mapped_column(_ev_mode("ev_mode_setting"), nullable=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    flow_w: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    simulated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Controls (app/models/control.py): the defaults are the original charge-now commuter.
    charge_mode: Mapped[EVChargeMode] = mapped_column(
        control_enum(EVChargeMode, "ev_charge_mode"),
        nullable=False,
        default=EVChargeMode.NOW,
        server_default=EVChargeMode.NOW.value,
    )
    min_soc_percent: Mapped[float] = setting(0.0)
    limit_soc_percent: Mapped[float] = setting(90.0)
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON,
        nullable=False,
        default=default_schedule,
        server_default=text(f"'{DEFAULT_SCHEDULE_SQL}'"),
    )
