"""Devices that consume power: air conditioners and heaters."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, Float, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.models.device import Device, DeviceKind, subclass_args


class AirConditioner(Device):
    __tablename__ = "air_conditioner"
    __table_args__ = (CheckConstraint("rated_power_w > 0", name="rated_power_positive"),)
    __mapper_args__ = subclass_args(DeviceKind.AIR_CONDITIONER)

    id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), primary_key=True
    )
    rated_power_w: Mapped[float] = mapped_column(Float, nullable=False)


class Heater(Device):
    __tablename__ = "heater"
    __table_args__ = (CheckConstraint("rated_power_w > 0", name="rated_power_positive"),)
    __mapper_args__ = subclass_args(DeviceKind.HEATER)

    id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), primary_key=True
    )
    rated_power_w: Mapped[float] = mapped_column(Float, nullable=False)
