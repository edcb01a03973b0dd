"""Device controls: the owner's modes (EV charging, battery, generator) and the event log.

The modes are stored as VARCHAR + CHECK like every enum here. An EV's weekly `schedule` is JSON,
a list of departure rules `{"days": ["MONDAY", ...], "departAt": "HH:MM", "returnAt": "HH:MM",
"targetSocPercent": float}` in the home's local time; `DEFAULT_SCHEDULE` is the weekday commute
every EV followed before schedules existed. `DeviceEvent` records each control change: who
(`user_id`), when (`at`), what (`action`, `detail` JSON); it goes with its device.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, UTCDateTime


class EVChargeMode(StrEnum):
    OFF = "OFF"
    NOW = "NOW"
    SOLAR = "SOLAR"
    SMART = "SMART"


class BatteryMode(StrEnum):
    SELF_CONSUMPTION = "SELF_CONSUMPTION"
    HOLD = "HOLD"
    CHARGE = "CHARGE"
    OPTIMIZED = "OPTIMIZED"


class GeneratorMode(StrEnum):
    OFF = "OFF"
    ON = "ON"
    AUTO = "AUTO"


WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")

DEFAULT_SCHEDULE: list[dict[str, Any]] = [
    {
        "days": list(WEEKDAYS[:5]),
        "departAt": "07:00",
        "returnAt": "18:00",
        "targetSocPercent": 90.0,
    }
]
"""Monday-Friday away 07:00-18:00, 90 % at departure: the original commute."""

DEFAULT_SCHEDULE_SQL = (
    '[{"days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],'
    ' "departAt": "07:00", "returnAt": "18:00", "targetSocPercent": 90.0}]'
)


def default_schedule() -> list[dict[str, Any]]:
    """A fresh copy of `DEFAULT_SCHEDULE` (JSON values are mutable)."""
    return [dict(rule, days=list(rule["days"])) for rule in DEFAULT_SCHEDULE]


def control_enum(cls: type[StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=32)


class DeviceEvent(IdMixin, Base):
    __tablename__ = "device_event"
    __table_args__ = (Index("ix_device_event_device_id_at", "device_id", "at"),)

    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("device.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


__all__ = [
    "DEFAULT_SCHEDULE",
    "BatteryMode",
    "DeviceEvent",
    "EVChargeMode",
    "GeneratorMode",
    "control_enum",
    "default_schedule",
]
