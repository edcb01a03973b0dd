"""Devices that consume power: air conditioners, heaters and a home's household base load.

Air conditioners and heaters carry a thermostat (docs/physics.md): `switched_on` (the API's
`on`; off draws nothing; not named `on`, a reserved SQL word),
`setpoint_c` (None = never set: the device follows the original outdoor-temperature ramp, so an
untouched device draws what it always drew), `hysteresis_c`, and the room's state advanced by
the simulation like a battery's level: `indoor_temperature_c`, `running` (whether it was
drawing power at that instant) and `simulated_at` (the instant the state refers to).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, false, true
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import UTCDateTime
from app.models.device import Device, DeviceKind, kind_key, quantity, subclass_args

DEFAULT_AC_SETPOINT_C = 24.0
"""Setpoint an air conditioner reports (and starts from) until its owner sets one."""
DEFAULT_HEATER_SETPOINT_C = 20.0
"""Setpoint a heater reports (and starts from) until its owner sets one."""
DEFAULT_HYSTERESIS_C = 1.0
"""Half-width of the thermostat band, degC: switches at setpoint +- this."""


class ThermostatColumns:
    """The rated power and thermostat columns air conditioners and heaters share (each kind
    has its own table; SQLAlchemy copies a mixin's columns into each)."""

    rated_power_w: Mapped[float] = quantity()
    switched_on: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default=true()
    )
    setpoint_c: Mapped[float | None] = mapped_column(Float, nullable=True)
    hysteresis_c: Mapped[float] = mapped_column(
        Float, nullable=False, default=DEFAULT_HYSTERESIS_C, server_default="1"
    )
    indoor_temperature_c: Mapped[float | None] = mapped_column(Float, nullable=True)
    running: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    simulated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AirConditioner(ThermostatColumns, Device):
    __tablename__ = "air_conditioner"
    __table_args__ = (CheckConstraint("rated_power_w > 0", name="rated_power_positive"),)
    __mapper_args__ = subclass_args(DeviceKind.AIR_CONDITIONER)

    id: Mapped[uuid.UUID] = kind_key()


class Heater(ThermostatColumns, Device):
    __tablename__ = "heater"
    __table_args__ = (CheckConstraint("rated_power_w > 0", name="rated_power_positive"),)
    __mapper_args__ = subclass_args(DeviceKind.HEATER)

    id: Mapped[uuid.UUID] = kind_key()


class HouseholdLoad(Device):
    """A home's base consumption (fridge, lighting, standby...) on the BDEW H0 profile."""

    __tablename__ = "household_load"
    __table_args__ = (
        CheckConstraint("annual_consumption_kwh > 0", name="annual_consumption_positive"),
    )
    __mapper_args__ = subclass_args(DeviceKind.HOUSEHOLD)

    id: Mapped[uuid.UUID] = kind_key()
    annual_consumption_kwh: Mapped[float] = quantity()
