"""Thermostat control of air conditioners and heaters (`setThermostat`, docs/physics.md).

A device nobody has set follows the original outdoor-temperature ramp; the first
`setThermostat` engages its thermostat (the setpoint given, else the kind's documented default),
and from the next cycle on the simulation runs the room model. `on: false` draws nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app import models
from app.errors import BadUserInput
from app.models.loads import DEFAULT_AC_SETPOINT_C, DEFAULT_HEATER_SETPOINT_C
from app.services import validation as v
from app.services.device import get_owned
from app.services.events import record_event

MIN_SETPOINT_C = 5.0
"""Lowest setpoint accepted (frost protection), degC."""
MAX_SETPOINT_C = 35.0
"""Highest setpoint accepted, degC."""

Thermostatic = models.AirConditioner | models.Heater


def default_setpoint_c(device: Thermostatic) -> float:
    """The setpoint a device reports (and engages with) until its owner sets one."""
    if isinstance(device, models.AirConditioner):
        return DEFAULT_AC_SETPOINT_C
    return DEFAULT_HEATER_SETPOINT_C


async def set_thermostat(
    session: AsyncSession,
    owner_id: uuid.UUID,
    device_id: str,
    on: bool | None,
    setpoint_c: float | None,
) -> Thermostatic:
    """Switch the device and/or set its setpoint; engages its thermostat. Validates everything
    before writing: BAD_USER_INPUT names the field (`id` for a device of another kind)."""
    device = await get_owned(session, owner_id, device_id)
    if not isinstance(device, models.AirConditioner | models.Heater):
        raise BadUserInput("id", "must be an air conditioner or a heater")
    if setpoint_c is not None:
        setpoint_c = v.in_range("setpointC", setpoint_c, MIN_SETPOINT_C, MAX_SETPOINT_C)
    if on is not None:
        device.switched_on = on
    if setpoint_c is not None:
        device.setpoint_c = setpoint_c
    elif device.setpoint_c is None:
        device.setpoint_c = default_setpoint_c(device)
    await record_event(
        session,
        device,
        owner_id,
        "setThermostat",
        {"on": device.switched_on, "setpointC": device.setpoint_c},
    )
    return device
