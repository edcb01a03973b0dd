"""A home: a place with its own location and timezone; every device belongs to one.

A user has one or more homes. The first home (oldest `created_at`, then id) is the one whose
timezone and location the user reports (`User.timezone/latitude/longitude` are kept equal to
it). Inserting a user inserts its first home, named "Home", from the user's timezone and
location (`ensure_first_home` below), and a device inserted without a home joins its owner's
first home: a client (or a script) that knows nothing of homes keeps working unchanged.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Table, event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from app.models.base import Base, IdMixin, TimestampMixin, utcnow
from app.models.device import Device
from app.models.user import User

#: The name of the home every account starts with.
FIRST_HOME_NAME = "Home"


class Home(IdMixin, TimestampMixin, Base):
    __tablename__ = "home"
    __table_args__ = (
        Index("ix_home_owner_id_created_at", "owner_id", "created_at"),
        CheckConstraint("latitude >= -90 AND latitude <= 90", name="latitude_range"),
        CheckConstraint("longitude >= -180 AND longitude <= 180", name="longitude_range"),
    )

    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    # The IANA timezone drives the EV commute schedule and the home's local-day history.
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    # The location drives the outdoor temperature, and the sun of panels that follow the home.
    latitude: Mapped[float] = mapped_column(Float, nullable=False)
    longitude: Mapped[float] = mapped_column(Float, nullable=False)

    def __repr__(self) -> str:
        return f"Home(id={self.__dict__.get('id')!r}, name={self.__dict__.get('name')!r})"


def first_home_query(owner_id: Any) -> Any:
    """SELECT of the id of the owner's first home (oldest, then lowest id)."""
    home = Home.__table__
    return (
        select(home.c.id)
        .where(home.c.owner_id == owner_id)
        .order_by(home.c.created_at, home.c.id)
        .limit(1)
    )


@event.listens_for(User, "after_insert")
def ensure_first_home(_mapper: Mapper[Any], connection: Connection, user: User) -> None:
    """Every user has a home from the start: insert the first one with the user's location."""
    now = utcnow()
    table: Table = Home.__table__  # type: ignore[assignment]
    connection.execute(
        table.insert().values(
            id=uuid.uuid4(),
            owner_id=user.id,
            name=FIRST_HOME_NAME,
            timezone=user.timezone,
            latitude=user.latitude,
            longitude=user.longitude,
            created_at=user.created_at or now,
            updated_at=now,
        )
    )


@event.listens_for(Device, "before_insert", propagate=True)
def default_home(_mapper: Mapper[Any], connection: Connection, device: Device) -> None:
    """A device inserted without a home joins its owner's first home (one SELECT, only then)."""
    if device.home_id is None:
        device.home_id = connection.scalar(first_home_query(device.owner_id))


__all__ = ["FIRST_HOME_NAME", "Home", "first_home_query"]
