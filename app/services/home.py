"""Home operations: list, create, update, delete (never the last one), move a device."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.config import Settings
from app.errors import BadUserInput, NotFound, Unauthenticated
from app.models.history import HISTORY_COLUMNS
from app.repositories.home import HomeRepository
from app.repositories.user import UserRepository
from app.services import validation as v
from app.services.device import get_owned
from app.simulation.calendar import local_day_start, zone


def parse_home_id(home_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(home_id))
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"home {home_id!r} not found") from None


async def get_owned_home(session: AsyncSession, owner_id: uuid.UUID, home_id: str) -> models.Home:
    """The caller's home; a malformed, unknown or foreign id is the same NOT_FOUND."""
    home = await HomeRepository(session).get_for_owner(parse_home_id(home_id), owner_id)
    if home is None:
        raise NotFound(f"home {home_id!r} not found")
    return home


async def home_for_new_device(
    session: AsyncSession, owner_id: uuid.UUID, home_id: str | None
) -> models.Home:
    """The home a new device goes to: the one named (the caller's), else the first home."""
    if home_id is not None:
        return await get_owned_home(session, owner_id, home_id)
    home = await HomeRepository(session).first_for_owner(owner_id)
    if home is None:  # every user has a home; none means the account is gone
        raise Unauthenticated("account no longer exists")
    return home


async def create_home(
    session: AsyncSession,
    settings: Settings,
    owner: models.User,
    *,
    name: str,
    timezone: str | None,
    latitude: float | None,
    longitude: float | None,
) -> models.Home:
    """A new home; timezone and location default to the service's defaults."""
    home = models.Home(
        owner_id=owner.id,
        name=v.name("name", name),
        timezone=v.timezone("timezone", timezone or settings.DEFAULT_TIMEZONE),
        latitude=v.latitude(
            "latitude", settings.DEFAULT_LATITUDE if latitude is None else latitude
        ),
        longitude=v.longitude(
            "longitude", settings.DEFAULT_LONGITUDE if longitude is None else longitude
        ),
    )
    HomeRepository(session).add(home)
    await session.flush()
    return home


async def _mirror_on_user(session: AsyncSession, owner_id: uuid.UUID) -> None:
    """User.timezone/latitude/longitude are those of the first home."""
    repo = HomeRepository(session)
    first = await repo.first_for_owner(owner_id)
    user = await UserRepository(session).get(owner_id)
    if first is None or user is None:
        return
    user.timezone, user.latitude, user.longitude = first.timezone, first.latitude, first.longitude
    await session.flush()


async def update_home(
    session: AsyncSession,
    owner_id: uuid.UUID,
    home_id: str,
    *,
    name: str,
    timezone: str | None,
    latitude: float | None,
    longitude: float | None,
) -> models.Home:
    """Rename and (for what is given) relocate a home: the next cycles use the new clock and
    place; what was recorded stays. Panels that follow the home move with it."""
    cleaned = v.name("name", name)
    tz = None if timezone is None else v.timezone("timezone", timezone)
    lat = None if latitude is None else v.latitude("latitude", latitude)
    lon = None if longitude is None else v.longitude("longitude", longitude)
    home = await get_owned_home(session, owner_id, home_id)
    home.name = cleaned
    if tz is not None:
        home.timezone = tz
    if lat is not None:
        home.latitude = lat
    if lon is not None:
        home.longitude = lon
    await session.flush()
    if lat is not None or lon is not None:
        await HomeRepository(session).move_following_panels(home)
    await _mirror_on_user(session, owner_id)
    return home


@dataclass(frozen=True, slots=True)
class DeletedHome:
    home_id: uuid.UUID
    device_ids: list[uuid.UUID]


async def delete_home(session: AsyncSession, owner_id: uuid.UUID, home_id: str) -> DeletedHome:
    """Delete a home with its devices and their history, and take its energy out of the
    user's totals. The last home cannot be deleted (BAD_USER_INPUT)."""
    repo = HomeRepository(session)
    home = await get_owned_home(session, owner_id, home_id)
    if await repo.count_for_owner(owner_id) <= 1:
        raise BadUserInput("id", "is the account's last home, which cannot be deleted")
    user = await UserRepository(session).get(owner_id)
    assert user is not None  # the home's owner
    # The user's days are on its calendar; the home's hours say which day each part fell on.
    tz = zone(user.timezone)
    days: dict[datetime, list[float]] = {}
    for row in await repo.home_hours(home.id):
        day = days.setdefault(local_day_start(row.bucket_start, tz), [0.0] * len(HISTORY_COLUMNS))
        for i, c in enumerate(HISTORY_COLUMNS):
            day[i] += getattr(row, c)
    await repo.subtract_from_user(home.id, owner_id, days)
    device_ids = await repo.device_ids(home.id)
    await repo.delete_device_history(device_ids)
    await session.delete(home)  # devices and the home's history: ON DELETE CASCADE
    await session.flush()
    session.expunge_all()  # cascaded rows are gone; no stale instance may be reused
    await _mirror_on_user(session, owner_id)
    return DeletedHome(home_id=home.id, device_ids=device_ids)


async def move_device(
    session: AsyncSession, owner_id: uuid.UUID, device_id: str, home_id: str
) -> models.Device:
    """Move one of the caller's devices to another of the caller's homes (from the next
    cycle; its past stays where it was recorded)."""
    device = await get_owned(session, owner_id, device_id)
    home = await get_owned_home(session, owner_id, home_id)
    device.home_id = home.id
    if isinstance(device, models.SolarPanel) and device.follows_home:
        device.latitude, device.longitude = home.latitude, home.longitude
    await session.flush()
    return device
