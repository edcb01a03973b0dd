"""Device operations: create per kind (validated), rename, delete, set the EV mode."""

from __future__ import annotations

import uuid
from typing import TypeVar

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

D = TypeVar("D", bound=models.Device)


async def _add(session: AsyncSession, device: D) -> D:
    DeviceRepository(session).add(device)
    await session.flush()
    return device


async def create_solar_panel(
    session: AsyncSession,
    owner: models.User,
    *,
    home: models.Home | None = None,
    name: str,
    panel_area_m2: float,
    efficiency: float,
    max_capacity_w: float,
    latitude: float | None,
    longitude: float | None,
    default_latitude: float,
    default_longitude: float,
) -> models.SolarPanel:
    """Panels sit at the given location, else at the default location (the mutation passes
    the panel's home's), following their home when it moves (neither coordinate given)."""
    panel = models.SolarPanel(
        owner_id=owner.id,
        home_id=home.id if home is not None else None,
        name=v.name("name", name),
        panel_area_m2=v.positive("panelAreaM2", panel_area_m2, maximum=MAX_AREA_M2),
        efficiency=v.in_range("efficiency", efficiency, 0.0, 1.0, low_open=True),
        max_capacity_w=v.positive("maxCapacityW", max_capacity_w, maximum=MAX_POWER_W),
        latitude=v.latitude("latitude", default_latitude if latitude is None else latitude),
        longitude=v.longitude("longitude", default_longitude if longitude is None else longitude),
        follows_home=latitude is None and longitude is None,
    )
    return await _add(session, panel)


async def create_generator(
    session: AsyncSession,
    owner: models.User,
    *,
    home: models.Home | None = None,
    name: str,
    rated_power_w: float,
) -> models.Generator:
    return await _add(
        session,
        models.Generator(
            owner_id=owner.id,
            home_id=home.id if home is not None else None,
            name=v.name("name", name),
            rated_power_w=v.positive("ratedPowerW", rated_power_w, maximum=MAX_POWER_W),
        ),
    )


async def create_battery(
    session: AsyncSession,
    owner: models.User,
    *,
    home: models.Home | None = None,
    name: str,
    capacity_wh: float,
    c_rate: float,
    initial_level_wh: float,
) -> models.Battery:
    capacity = v.positive("capacityWh", capacity_wh, maximum=MAX_ENERGY_WH)
    level = v.non_negative("initialLevelWh", initial_level_wh)
    if level > capacity:
        raise BadUserInput("initialLevelWh", "must not exceed capacityWh")
    return await _add(
        session,
        models.Battery(
            owner_id=owner.id,
            home_id=home.id if home is not None else None,
            name=v.name("name", name),
            capacity_wh=capacity,
            c_rate=v.positive("cRate", c_rate, maximum=MAX_C_RATE),
            current_level_wh=level,
            flow_w=0.0,
        ),
    )


async def create_electric_vehicle(
    session: AsyncSession,
    owner: models.User,
    *,
    home: models.Home | None = None,
    name: str,
    battery_capacity_kwh: float,
    current_charge_kwh: float | None,
    charge_rate_kw: float,
    driving_consumption_kwh_per_hour: float,
) -> models.ElectricVehicle:
    """A new EV starts connected and charging; without a charge given it arrives half full."""
    capacity = v.positive("batteryCapacityKwh", battery_capacity_kwh, maximum=MAX_EV_KWH)
    charge = capacity / 2 if current_charge_kwh is None else current_charge_kwh
    charge = v.non_negative("currentChargeKwh", charge)
    if charge > capacity:
        raise BadUserInput("currentChargeKwh", "must not exceed batteryCapacityKwh")
    return await _add(
        session,
        models.ElectricVehicle(
            owner_id=owner.id,
            home_id=home.id if home is not None else None,
            name=v.name("name", name),
            battery_capacity_kwh=capacity,
            current_charge_kwh=charge,
            charge_rate_kw=v.positive("chargeRateKw", charge_rate_kw, maximum=MAX_EV_KW),
            driving_consumption_kwh_per_hour=v.non_negative(
                "drivingConsumptionKwhPerHour", driving_consumption_kwh_per_hour, maximum=MAX_EV_KW
            ),
            mode=models.EVMode.CHARGING,
            mode_setting=models.EVMode.CHARGING,
            flow_w=0.0,
        ),
    )


async def create_air_conditioner(
    session: AsyncSession,
    owner: models.User,
    *,
    home: models.Home | None = None,
    name: str,
    rated_power_w: float,
) -> models.AirConditioner:
    return await _add(
        session,
        models.AirConditioner(
            owner_id=owner.id,
            home_id=home.id if home is not None else None,
            name=v.name("name", name),
            rated_power_w=v.positive("ratedPowerW", rated_power_w, maximum=MAX_POWER_W),
        ),
    )


async def create_heater(
    session: AsyncSession,
    owner: models.User,
    *,
    home: models.Home | None = None,
    name: str,
    rated_power_w: float,
) -> models.Heater:
    return await _add(
        session,
        models.Heater(
            owner_id=owner.id,
            home_id=home.id if home is not None else None,
            name=v.name("name", name),
            rated_power_w=v.positive("ratedPowerW", rated_power_w, maximum=MAX_POWER_W),
        ),
    )


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
