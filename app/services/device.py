"""Device operations: create any kind (one table of fields), rename, delete, set the EV mode."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.errors import BadUserInput, NotFound
from app.repositories.device import DeviceRepository
from app.services import validation as v

#: Sanity ceilings: far above any home, low enough to keep arithmetic and storage meaningful.
MAX_POWER_W = 10_000_000.0
MAX_ENERGY_WH = 10_000_000.0
MAX_AREA_M2 = 10_000.0
MAX_C_RATE = 10.0
MAX_EV_KWH = 1_000.0
MAX_EV_KW = 1_000.0

Check = Callable[[str, Any], Any]


@dataclass(frozen=True, slots=True)
class Location:
    """Where devices without a location of their own sit (the service's default)."""

    latitude: float
    longitude: float


#: A default computed when the field is null or omitted: from the fields checked before it
#: (by Python name) and the default location.
Fallback = Callable[[Mapping[str, Any], Location], float]


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a create input: its Python and API names, check, default and column.

    `default`: None when required; a number is the API's documented default (null or omitted
    takes it); a `Fallback` computes it. `at_most`: the (earlier) field it must not exceed.
    """

    name: str
    api: str
    check: Check
    default: float | Fallback | None = None
    column: str | None = None
    at_most: str | None = None
    type: type = float


@dataclass(frozen=True, slots=True)
class KindSpec:
    """What creating a device of one kind takes: its input fields, in API order, and the
    columns every new device of the kind starts with."""

    kind: models.DeviceKind
    fields: tuple[Field, ...]
    initial: Mapping[str, Any] = dataclass_field(default_factory=dict)
    #: Columns derived from what the client gave (before defaults), e.g. whether a panel
    #: follows its home when the home moves.
    derived: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None

    def api_name(self, name: str) -> str:
        return next(f.api for f in self.fields if f.name == name)


def _bounded(check: Callable[..., float], maximum: float) -> Check:
    return partial(check, maximum=maximum)


_power = _bounded(v.positive, MAX_POWER_W)
MAX_ANNUAL_KWH = 10_000_000.0


def _azimuth(field: str, value: float) -> float:
    """Degrees clockwise from north, in [0, 360)."""
    value = v.finite(field, value)
    if not 0.0 <= value < 360.0:
        raise BadUserInput(field, "must be at least 0 and less than 360")
    return value


_charging = {"flow_w": 0.0}

#: Fields every kind's input starts with.
COMMON: tuple[Field, ...] = (Field("name", "name", v.name, type=str),)
_RATED = (Field("rated_power_w", "ratedPowerW", _power),)

#: Every kind's create input: add a field here (and its column on the model) and the GraphQL
#: input, the validation and the write follow.
KINDS: dict[models.DeviceKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            models.DeviceKind.SOLAR_PANEL,
            (
                Field("panel_area_m2", "panelAreaM2", _bounded(v.positive, MAX_AREA_M2)),
                Field("max_capacity_w", "maxCapacityW", _power),
                Field(
                    "efficiency",
                    "efficiency",
                    partial(v.in_range, low=0.0, high=1.0, low_open=True),
                    default=0.2,
                ),
                # Panels sit at the given location, else at their home's location.
                Field("latitude", "latitude", v.latitude, default=lambda _, at: at.latitude),
                Field("longitude", "longitude", v.longitude, default=lambda _, at: at.longitude),
                # Orientation (docs/physics.md); the default is flat: the original model.
                Field("tilt_deg", "tiltDeg", partial(v.in_range, low=0.0, high=90.0), default=0.0),
                Field("azimuth_deg", "azimuthDeg", _azimuth, default=180.0),
            ),
            # A panel given no location follows its home when the home moves.
            derived=lambda given: {
                "follows_home": given.get("latitude") is None and given.get("longitude") is None
            },
        ),
        KindSpec(models.DeviceKind.GENERATOR, _RATED),
        KindSpec(
            models.DeviceKind.BATTERY,
            (
                Field("capacity_wh", "capacityWh", _bounded(v.positive, MAX_ENERGY_WH)),
                Field("c_rate", "cRate", _bounded(v.positive, MAX_C_RATE), default=0.5),
                Field(
                    "initial_level_wh",
                    "initialLevelWh",
                    v.non_negative,
                    default=0.0,
                    column="current_level_wh",
                    at_most="capacity_wh",
                ),
                Field(
                    "round_trip_efficiency",
                    "roundTripEfficiency",
                    partial(v.in_range, low=0.0, high=1.0, low_open=True),
                    default=1.0,
                ),
            ),
            initial=_charging,
        ),
        KindSpec(
            models.DeviceKind.ELECTRIC_VEHICLE,
            (
                Field(
                    "battery_capacity_kwh", "batteryCapacityKwh", _bounded(v.positive, MAX_EV_KWH)
                ),
                # Without a charge given, a new EV arrives half full.
                Field(
                    "current_charge_kwh",
                    "currentChargeKwh",
                    v.non_negative,
                    default=lambda done, _: float(done["battery_capacity_kwh"]) / 2,
                    at_most="battery_capacity_kwh",
                ),
                Field(
                    "charge_rate_kw", "chargeRateKw", _bounded(v.positive, MAX_EV_KW), default=7.2
                ),
                Field(
                    "driving_consumption_kwh_per_hour",
                    "drivingConsumptionKwhPerHour",
                    _bounded(v.non_negative, MAX_EV_KW),
                    default=2.0,
                ),
            ),
            # A new EV starts connected and charging.
            initial={
                **_charging,
                "mode": models.EVMode.CHARGING,
                "mode_setting": models.EVMode.CHARGING,
            },
        ),
        KindSpec(models.DeviceKind.AIR_CONDITIONER, _RATED),
        KindSpec(models.DeviceKind.HEATER, _RATED),
        KindSpec(
            models.DeviceKind.HOUSEHOLD,
            (
                Field(
                    "annual_consumption_kwh",
                    "annualConsumptionKwh",
                    _bounded(v.positive, MAX_ANNUAL_KWH),
                ),
            ),
        ),
    )
}


async def create_device(
    session: AsyncSession,
    owner: models.User,
    kind: models.DeviceKind,
    values: Mapping[str, Any],
    location: Location,
    home: models.Home | None = None,
) -> models.Device:
    """Check `values` (Python names; None = use the default) and add the new device to
    `home` (None: the owner's first home).

    BAD_USER_INPUT names the first field at fault, in input order; nothing is added then.
    """
    spec = KINDS[kind]
    done: dict[str, Any] = {}
    columns: dict[str, Any] = dict(spec.initial)
    for f in (*COMMON, *spec.fields):
        value = values.get(f.name)
        if value is None:
            if f.default is None:
                raise BadUserInput(f.api, "is required")
            value = f.default(done, location) if callable(f.default) else f.default
        value = f.check(f.api, value)
        if f.at_most is not None and value > done[f.at_most]:
            raise BadUserInput(f.api, f"must not exceed {spec.api_name(f.at_most)}")
        done[f.name] = value
        columns[f.column or f.name] = value
    if spec.derived is not None:
        columns.update(spec.derived(values))
    home_id = home.id if home is not None else None
    device = kind.model(owner_id=owner.id, home_id=home_id, **columns)
    DeviceRepository(session).add(device)
    await session.flush()
    return device


def owned_device_ids(ids: Sequence[object], owned: Collection[uuid.UUID]) -> list[uuid.UUID]:
    """`ids` parsed, in order and without repeats; any id not in `owned` (malformed, unknown
    or foreign) is the same NOT_FOUND as `get_owned` gives."""
    wanted: dict[uuid.UUID, None] = {}
    for raw in ids:
        try:
            parsed = uuid.UUID(str(raw))
        except ValueError:
            raise NotFound(f"device {raw!r} not found") from None
        if parsed not in owned:
            raise NotFound(f"device {raw!r} not found")
        wanted[parsed] = None
    return list(wanted)


async def get_owned(session: AsyncSession, owner_id: uuid.UUID, device_id: str) -> models.Device:
    """The caller's device; a malformed, unknown or foreign id is the same NOT_FOUND."""
    try:
        parsed = uuid.UUID(device_id)
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"device {device_id!r} not found") from None
    device = await DeviceRepository(session).get_for_owner(parsed, owner_id)
    if device is None:
        raise NotFound(f"device {device_id!r} not found")
    return device


async def rename_device(
    session: AsyncSession, owner_id: uuid.UUID, device_id: str, name: str
) -> models.Device:
    cleaned = v.name("name", name)
    device = await get_owned(session, owner_id, device_id)
    device.name = cleaned
    await session.flush()
    return device


async def delete_device(session: AsyncSession, owner_id: uuid.UUID, device_id: str) -> uuid.UUID:
    device = await get_owned(session, owner_id, device_id)
    await DeviceRepository(session).delete(device)
    await session.flush()
    return device.id


async def set_electric_vehicle_mode(
    session: AsyncSession, owner_id: uuid.UUID, device_id: str, mode: models.EVMode
) -> models.ElectricVehicle:
    """Record the owner's choice; the effective mode follows at once unless the EV is away.

    While the car is away (effective OFFLINE by the commute schedule) the choice takes effect
    when it next connects; the simulation never overwrites `mode_setting`.
    """
    device = await get_owned(session, owner_id, device_id)
    if not isinstance(device, models.ElectricVehicle):
        raise NotFound(f"electric vehicle {device_id!r} not found")
    away = device.mode == models.EVMode.OFFLINE and device.mode_setting != models.EVMode.OFFLINE
    device.mode_setting = mode
    if not away:
        device.mode = mode
    await session.flush()
    return device
