"""Device controls: EV charging and schedule, battery and generator modes (API.md "Device
control"). Each change is checked first (BAD_USER_INPUT naming the field; nothing is written),
then applied to the owner's device and recorded as a device event; the next cycle reads it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.errors import BadUserInput
from app.models.control import WEEKDAYS
from app.services import validation as v
from app.services.device import MAX_POWER_W, get_owned
from app.services.events import record_event

TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z")
MINUTES_PER_WEEK = 7 * 24 * 60


@dataclass(frozen=True, slots=True)
class RuleInput:
    """One departure rule as given: weekday names, "HH:MM" times, target percent."""

    days: Sequence[str]
    depart_at: str
    return_at: str
    target_soc_percent: float


def percent(field: str, value: float) -> float:
    return v.in_range(field, value, 0.0, 100.0)


def _time(field: str, value: str) -> int:
    if not isinstance(value, str) or not TIME_RE.match(value):
        raise BadUserInput(field, 'must be a time "HH:MM" (00:00-23:59)')
    return int(value[:2]) * 60 + int(value[3:])


async def _owned(
    session: AsyncSession, owner_id: uuid.UUID, device_id: str, model: type[models.Device]
) -> Any:
    device = await get_owned(session, owner_id, device_id)
    if not isinstance(device, model):
        raise BadUserInput("id", f"is not a {model.__name__} (it is a {device.kind})")
    return device


async def set_ev_charging(
    session: AsyncSession,
    owner_id: uuid.UUID,
    device_id: str,
    charge_mode: models.EVChargeMode | None,
    min_soc_percent: float | None,
    limit_soc_percent: float | None,
) -> models.ElectricVehicle:
    low = percent("minSocPercent", min_soc_percent) if min_soc_percent is not None else None
    high = percent("limitSocPercent", limit_soc_percent) if limit_soc_percent is not None else None
    ev: models.ElectricVehicle = await _owned(session, owner_id, device_id, models.ElectricVehicle)
    new_low = ev.min_soc_percent if low is None else low
    new_high = ev.limit_soc_percent if high is None else high
    if new_low > new_high:
        field = "minSocPercent" if low is not None else "limitSocPercent"
        raise BadUserInput(field, "minSocPercent must not exceed limitSocPercent")
    detail: dict[str, Any] = {}
    if charge_mode is not None:
        ev.charge_mode = charge_mode
        detail["chargeMode"] = charge_mode.value
    if low is not None:
        ev.min_soc_percent = low
        detail["minSocPercent"] = low
    if high is not None:
        ev.limit_soc_percent = high
        detail["limitSocPercent"] = high
    await record_event(session, ev, owner_id, "setElectricVehicleCharging", detail)
    return ev


def check_rules(rules: Sequence[RuleInput]) -> list[dict[str, Any]]:
    """The rules as stored JSON; BAD_USER_INPUT for a bad day, time, target, or two rules that
    are away at the same time on some weekday (a rule across midnight counts on both days)."""
    out: list[dict[str, Any]] = []
    week = np.full(MINUTES_PER_WEEK, -1, dtype=np.int64)
    for i, rule in enumerate(rules):
        at = f"rules[{i}]"
        if not rule.days:
            raise BadUserInput(f"{at}.days", "must name at least one weekday")
        days = []
        for name in rule.days:
            if name not in WEEKDAYS:
                raise BadUserInput(f"{at}.days", f"unknown weekday {name!r}")
            if name not in days:
                days.append(name)
        depart = _time(f"{at}.departAt", rule.depart_at)
        back = _time(f"{at}.returnAt", rule.return_at)
        if depart == back:
            raise BadUserInput(f"{at}.returnAt", "must differ from departAt")
        target = percent(f"{at}.targetSocPercent", rule.target_soc_percent)
        length = (back - depart) % (24 * 60)
        for name in days:
            start = WEEKDAYS.index(name) * 24 * 60 + depart
            minutes = (start + np.arange(length)) % MINUTES_PER_WEEK
            taken = week[minutes]
            clash = taken[taken >= 0]
            if clash.size:
                raise BadUserInput("rules", f"rules {int(clash[0])} and {i} overlap on {name}")
            week[minutes] = i
        ordered = [d for d in WEEKDAYS if d in days]
        out.append(
            {
                "days": ordered,
                "departAt": rule.depart_at,
                "returnAt": rule.return_at,
                "targetSocPercent": target,
            }
        )
    return out


async def set_ev_schedule(
    session: AsyncSession, owner_id: uuid.UUID, device_id: str, rules: Sequence[RuleInput]
) -> models.ElectricVehicle:
    stored = check_rules(rules)
    ev: models.ElectricVehicle = await _owned(session, owner_id, device_id, models.ElectricVehicle)
    ev.schedule = stored
    await record_event(session, ev, owner_id, "setElectricVehicleSchedule", {"rules": stored})
    return ev


async def set_battery_mode(
    session: AsyncSession,
    owner_id: uuid.UUID,
    device_id: str,
    mode: models.BatteryMode,
    reserve_soc_percent: float | None,
) -> models.Battery:
    reserve = (
        percent("reserveSocPercent", reserve_soc_percent)
        if reserve_soc_percent is not None
        else None
    )
    battery: models.Battery = await _owned(session, owner_id, device_id, models.Battery)
    await _set_mode(
        session, owner_id, battery, "setBatteryMode", mode, "reserveSocPercent", reserve
    )
    return battery


async def set_generator_mode(
    session: AsyncSession,
    owner_id: uuid.UUID,
    device_id: str,
    mode: models.GeneratorMode,
    auto_start_import_w: float | None,
) -> models.Generator:
    threshold = (
        v.non_negative("autoStartImportW", auto_start_import_w, maximum=MAX_POWER_W)
        if auto_start_import_w is not None
        else None
    )
    generator: models.Generator = await _owned(session, owner_id, device_id, models.Generator)
    if generator.mode != mode:
        # A new mode starts from a stopped generator: an AUTO run begins when it is needed.
        generator.run_started_at = None
    await _set_mode(
        session, owner_id, generator, "setGeneratorMode", mode, "autoStartImportW", threshold
    )
    return generator


_ATTRIBUTES = {
    "reserveSocPercent": "reserve_soc_percent",
    "autoStartImportW": "auto_start_import_w",
}


async def _set_mode(
    session: AsyncSession,
    owner_id: uuid.UUID,
    device: models.Battery | models.Generator,
    event: str,
    mode: models.BatteryMode | models.GeneratorMode,
    setting: str,
    value: float | None,
) -> None:
    """Set a device's mode and, when given, its one setting; the event records what was set."""
    device.mode = mode
    detail: dict[str, Any] = {"mode": mode.value}
    if value is not None:
        setattr(device, _ATTRIBUTES[setting], value)
        detail[setting] = value
    await record_event(session, device, owner_id, event, detail)


async def record_ev_mode(
    session: AsyncSession, owner_id: uuid.UUID, device: models.ElectricVehicle
) -> None:
    """The event of the existing `setElectricVehicleMode`."""
    await record_event(
        session, device, owner_id, "setElectricVehicleMode", {"mode": device.mode_setting.value}
    )
