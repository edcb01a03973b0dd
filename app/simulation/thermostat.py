"""Thermostats of air conditioners and heaters: a first-order thermal model of the room.

Why: a thermostat is what users set; with a room whose temperature is real state, an air
conditioner runs longer on a hot afternoon because the room warms faster, not because of a ramp.
Each device conditions one room, a single thermal node (a "1R1C" model):

    C dT/dt = UA (T_out - T) + s Q,   Q = COP * rated_power_w while running, else 0

with UA = ROOM_UA_W_PER_K (50 W/K: a room with a window), C = ROOM_HEAT_CAPACITY_J_PER_K
(1.5 MJ/K: air, furniture and the inner wall layers; time constant C / UA = 8.3 h), s = +1 for
a heater (resistive, COP 1) and -1 for an air conditioner (COP 3). T_out is the outdoor model of
`weather.py` at the cycle instant, held over the step. Between switchings the solution is exact:

    T(t) = T_eq + (T0 - T_eq) exp(-t / tau),   T_eq = T_out + s Q / UA,  tau = C / UA.

The thermostat switches at setpoint +- hysteresis: a heater starts at setpoint - h and stops at
setpoint + h (an air conditioner the other way round). Switching instants inside a step are
found analytically (up to MAX_SWITCHES per step), so the room stays within the band however
long the step, as long as the device is strong enough for the weather. While running the device
draws its rated power; switched off (`switched_on` False) it draws nothing and the room drifts.
A device starts (no state yet) at its setpoint, idle. Replays follow `storage.py`: a device whose
state is at or after the cycle instant keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.simulation.arrays import BoolArray, FloatArray

ROOM_UA_W_PER_K = 50.0
"""Heat loss coefficient of the room, W/K."""
ROOM_HEAT_CAPACITY_J_PER_K = 1.5e6
"""Heat capacity of the room, J/K."""
AC_COP = 3.0
"""Coefficient of performance of an air conditioner (heat removed per electric W)."""
HEATER_COP = 1.0
"""A resistive heater turns each electric W into 1 W of heat."""
MAX_SWITCHES = 64
"""Switchings resolved per step; past that the room is clipped into the band."""


@dataclass(frozen=True, slots=True)
class ThermostatState:
    """The rooms after a step: temperature (degC) and whether each device is running."""

    indoor_c: FloatArray
    running: BoolArray


def start_running(
    cooling: bool,
    indoor_c: FloatArray,
    running: BoolArray,
    setpoint_c: FloatArray,
    band_c: FloatArray,
) -> BoolArray:
    """Hysteresis at an instant: switch on past the far edge, keep running until the near edge."""
    if cooling:
        return (indoor_c >= setpoint_c + band_c) | (running & (indoor_c > setpoint_c - band_c))
    return (indoor_c <= setpoint_c - band_c) | (running & (indoor_c < setpoint_c + band_c))


def step_rooms(
    *,
    cooling: bool,
    rated_power_w: FloatArray,
    switched_on: BoolArray,
    setpoint_c: FloatArray,
    hysteresis_c: FloatArray,
    indoor_c: FloatArray,
    running: BoolArray,
    outdoor_c: FloatArray,
    dt_s: FloatArray,
    ua_w_per_k: float = ROOM_UA_W_PER_K,
    heat_capacity_j_per_k: float = ROOM_HEAT_CAPACITY_J_PER_K,
) -> ThermostatState:
    """Advance each room by `dt_s` seconds; see the module docstring. Returns the end state."""
    band = np.maximum(hysteresis_c, 1e-6)
    temp = np.where(np.isnan(indoor_c), setpoint_c, indoor_c).astype(np.float64)
    on = np.asarray(switched_on, dtype=np.bool_)
    run = on & start_running(cooling, temp, np.asarray(running, np.bool_), setpoint_c, band)
    heat_w = np.maximum(rated_power_w, 0.0) * (AC_COP if cooling else HEATER_COP)
    sign = -1.0 if cooling else 1.0
    tau = heat_capacity_j_per_k / ua_w_per_k
    remaining = np.maximum(np.asarray(dt_s, dtype=np.float64), 0.0).copy()
    for _ in range(MAX_SWITCHES):
        active = remaining > 0.0
        if not active.any():
            break
        t_eq = outdoor_c + sign * heat_w * run / ua_w_per_k
        # The edge that switches the current state: a running heater stops at sp + h, an idle
        # one starts at sp - h; an air conditioner the other way round.
        stop_high = run != cooling
        edge = np.where(stop_high, setpoint_c + band, setpoint_c - band)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (edge - t_eq) / (temp - t_eq)
            hit = np.where(on & (ratio > 0.0) & (ratio <= 1.0), -tau * np.log(ratio), np.inf)
        switch = active & (hit <= remaining)
        step = np.where(switch, hit, remaining)
        drift = t_eq + (temp - t_eq) * np.exp(-step / tau)
        temp = np.where(active, np.where(switch, edge, drift), temp)
        run = np.where(switch, ~run, run)
        remaining = np.where(active, remaining - step, 0.0)
    else:
        stuck = remaining > 0.0
        temp = np.where(stuck & on, np.clip(temp, setpoint_c - band, setpoint_c + band), temp)
    return ThermostatState(indoor_c=temp, running=run & on)
