"""Planning for the API: a home's forecast, its stored plan, and what-if scenarios.

The home arrives already resolved through the caller's own homes (a foreign id never gets
here); bad arguments are BAD_USER_INPUT naming the argument, checked before any work.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import models, tariffs
from app.errors import BadUserInput
from app.planning.forecast import MAX_HOURS, MIN_HOURS, SLOT_S, Horizon, forecast_home
from app.planning.loading import load_homes
from app.planning.scenario import (
    MAX_ADDED_DEVICES,
    MAX_DAYS,
    MAX_DEVICE_DAYS,
    MIN_DAYS,
    ScenarioChanges,
    ScenarioOutcome,
    run_scenario,
)
from app.repositories.plan import plans_of
from app.services import device as devices
from app.services.home import get_owned_home


@dataclass(frozen=True, slots=True)
class ForecastSlotValue:
    start: datetime
    end: datetime
    production_wh: float
    consumption_wh: float
    import_price_per_kwh: float | None
    export_price_per_kwh: float | None


def check_hours(hours: int) -> int:
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise BadUserInput("hours", f"must be between {MIN_HOURS} and {MAX_HOURS}")
    return hours


async def home_forecast(
    session: AsyncSession, owner_id: uuid.UUID, home_id: uuid.UUID, hours: int, now: datetime
) -> list[ForecastSlotValue]:
    """The home's forecast over the next `hours` (1..48) from the quarter hour holding `now`."""
    horizon = Horizon.at(now, check_hours(hours))
    loaded = await load_homes(session, [owner_id], horizon, only=home_id)
    if not loaded.homes:
        return []
    forecast = forecast_home(loaded.homes[0], horizon)
    priced = loaded.tariffs[0] is not None
    out: list[ForecastSlotValue] = []
    for t in range(horizon.slots):
        start = horizon.instant(t)
        out.append(
            ForecastSlotValue(
                start=start,
                end=datetime.fromtimestamp(start.timestamp() + SLOT_S, start.tzinfo),
                production_wh=float(forecast.production_wh[t]),
                consumption_wh=float(forecast.consumption_wh[t]),
                import_price_per_kwh=float(loaded.import_price[0, t]) if priced else None,
                export_price_per_kwh=float(loaded.export_price[0, t]) if priced else None,
            )
        )
    return out


async def get_plan(session: AsyncSession, home_id: uuid.UUID) -> models.PlanRow | None:
    return (await plans_of(session, [home_id])).get(home_id)


@dataclass(frozen=True, slots=True)
class ScenarioRequest:
    """A scenario input as the client sent it (Python names; None = not given)."""

    add_batteries: Sequence[Mapping[str, Any]] = ()
    add_solar_panels: Sequence[Mapping[str, Any]] = ()
    add_electric_vehicles: Sequence[Mapping[str, Any]] = ()
    remove_device_ids: Sequence[str] = ()
    tariff: tariffs.TariffInput | None = None


def _device_columns(
    kind: models.DeviceKind, values: Mapping[str, Any], location: devices.Location, where: str
) -> dict[str, Any]:
    """The engine columns of a would-be device, checked as `create<Kind>` checks them; a bad
    field is BAD_USER_INPUT naming it within the input (e.g. `addBatteries[0].capacityWh`)."""
    spec = devices.KINDS[kind]
    done: dict[str, Any] = {}
    columns: dict[str, Any] = {}
    for f in (*devices.COMMON, *spec.fields):
        value = values.get(f.name)
        if value is None:
            if f.default is None:
                raise BadUserInput(f"{where}.{f.api}", "is required")
            value = f.default(done, location) if callable(f.default) else f.default
        try:
            value = f.check(f.api, value)
        except BadUserInput as exc:
            raise BadUserInput(f"{where}.{f.api}", exc.message.split(": ", 1)[-1]) from None
        if f.at_most is not None and value > done[f.at_most]:
            raise BadUserInput(f"{where}.{f.api}", f"must not exceed {spec.api_name(f.at_most)}")
        done[f.name] = value
        columns[f.column or f.name] = value
    return columns


async def _removed(
    session: AsyncSession, home: models.Home, ids: Sequence[str]
) -> frozenset[uuid.UUID]:
    """The ids to remove: each must be a device of this home (else NOT_FOUND, like any id the
    caller does not own)."""
    if not ids:
        return frozenset()
    device = models.Device
    owned = set(
        (
            await session.scalars(
                select(device.id).where(device.home_id == home.id, device.owner_id == home.owner_id)
            )
        ).all()
    )
    return frozenset(devices.owned_device_ids(ids, owned))


async def scenario(
    session: AsyncSession,
    owner_id: uuid.UUID,
    home_id: str,
    days: int,
    request: ScenarioRequest,
    now: datetime,
    interval_s: int,
) -> ScenarioOutcome:
    """Replay the caller's home over its last `days` (1..31) as it is and with the changes.

    A foreign or unknown home (or device to remove) is NOT_FOUND; every bad field is
    BAD_USER_INPUT naming it, checked before any replay. Nothing is written."""
    home = await get_owned_home(session, owner_id, home_id)
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise BadUserInput("days", f"must be between {MIN_DAYS} and {MAX_DAYS}")
    added_count = (
        len(request.add_batteries)
        + len(request.add_solar_panels)
        + len(request.add_electric_vehicles)
    )
    if added_count > MAX_ADDED_DEVICES:
        raise BadUserInput(
            "input", f"adds {added_count} devices; at most {MAX_ADDED_DEVICES} in all"
        )
    # The replay's CPU is days x the devices of both runs: bounded before any replay.
    active = await session.scalar(
        select(func.count())
        .select_from(models.Device)
        .where(models.Device.home_id == home.id, models.Device.status == models.DeviceStatus.ACTIVE)
    )
    replayed = 2 * int(active or 0) + added_count
    if days * replayed > MAX_DEVICE_DAYS:
        most = max(MAX_DEVICE_DAYS // max(replayed, 1), 0)
        raise BadUserInput(
            "days",
            f"days x devices replayed (both runs: {replayed}) must be at most {MAX_DEVICE_DAYS}"
            f"; at most {most} days for this home and input",
        )
    location = devices.Location(home.latitude, home.longitude)
    kinds = (
        ("addBatteries", models.DeviceKind.BATTERY, request.add_batteries),
        ("addSolarPanels", models.DeviceKind.SOLAR_PANEL, request.add_solar_panels),
        ("addElectricVehicles", models.DeviceKind.ELECTRIC_VEHICLE, request.add_electric_vehicles),
    )
    added = {
        kind: [_device_columns(kind, v, location, f"{name}[{i}]") for i, v in enumerate(given)]
        for name, kind, given in kinds
    }
    tariff = None if request.tariff is None else tariffs.validate_tariff(request.tariff)
    changes = ScenarioChanges(
        batteries=added[models.DeviceKind.BATTERY],
        solar_panels=added[models.DeviceKind.SOLAR_PANEL],
        electric_vehicles=added[models.DeviceKind.ELECTRIC_VEHICLE],
        remove=await _removed(session, home, request.remove_device_ids),
        tariff=tariff,
    )
    return await run_scenario(session, home, days, changes, now, interval_s)
