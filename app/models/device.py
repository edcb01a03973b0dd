"""The polymorphic `Device` base table; each kind has its own joined table."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, IdMixin, TimestampMixin


class DeviceKind(StrEnum):
    SOLAR_PANEL = "SOLAR_PANEL"
    GENERATOR = "GENERATOR"
    BATTERY = "BATTERY"
    ELECTRIC_VEHICLE = "ELECTRIC_VEHICLE"
    AIR_CONDITIONER = "AIR_CONDITIONER"
    HEATER = "HEATER"
    HOUSEHOLD = "HOUSEHOLD"

    @property
    def model(self) -> type[Device]:
        """The mapped subclass for this kind (resolved through the mapper registry)."""
        for mapper in Device.__mapper__.self_and_descendants:
            if mapper.polymorphic_identity == self:
                return mapper.class_
        raise LookupError(self)


class DeviceStatus(StrEnum):
    """Whether the simulation includes the device; `disabled` keeps it listed but idle."""

    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


def _enum(cls: type[StrEnum], name: str) -> Enum:
    # Stored as VARCHAR + CHECK so SQLite and PostgreSQL share one schema and migrations.
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=32)


class Device(IdMixin, TimestampMixin, Base):
    __tablename__ = "device"
    __table_args__: tuple[Any, ...] = (
        Index("ix_device_owner_id_status", "owner_id", "status"),
        Index("ix_device_owner_id_created_at", "owner_id", "created_at"),
        Index("ix_device_home_id_status", "home_id", "status"),
    )

    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), nullable=False
    )
    # Every device belongs to one of its owner's homes (the owner's first home by default).
    home_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("home.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[DeviceKind] = mapped_column(_enum(DeviceKind, "device_kind"), nullable=False)
    status: Mapped[DeviceStatus] = mapped_column(
        _enum(DeviceStatus, "device_status"), nullable=False, default=DeviceStatus.ACTIVE
    )

    __mapper_args__ = {"polymorphic_on": "kind"}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.__dict__.get('id')!r})"


def subclass_args(kind: DeviceKind) -> dict[str, object]:
    """Mapper args for a kind: selectin loading avoids N+1 lazy loads under asyncio."""
    return {"polymorphic_identity": kind, "polymorphic_load": "selectin"}


def kind_key() -> Mapped[uuid.UUID]:
    """A kind table's primary key: the base row's id, deleted with it (joined inheritance)."""
    return mapped_column(ForeignKey("device.id", ondelete="CASCADE"), primary_key=True)


def quantity() -> Mapped[float]:
    """A physical quantity every device of the kind states (no default: validated on create)."""
    return mapped_column(Float, nullable=False)


def setting(default: float) -> Mapped[float]:
    """A setting with a default that rows written before it existed take from the database too
    (the server default is the same number, written as migrations wrote it)."""
    return mapped_column(Float, nullable=False, default=default, server_default=f"{default:g}")


__all__ = [
    "Device",
    "DeviceKind",
    "DeviceStatus",
    "kind_key",
    "quantity",
    "setting",
    "subclass_args",
]
