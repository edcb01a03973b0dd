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
    columns = (
        rated_power_w,
        switched_on,
        setpoint_c,
        hysteresis_c,
        indoor_c,
        running,
        outdoor_c,
        dt_s,
    )
    shape = np.broadcast_shapes(*(np.shape(c) for c in columns))

    def flat(values: object, dtype: type) -> np.ndarray:
        """A column as a writable 1-D array of the common shape (the passes index rows)."""
        return np.broadcast_to(np.asarray(values, dtype=dtype), shape).reshape(-1).copy()

    setpoint = flat(setpoint_c, np.float64)
    band = np.maximum(flat(hysteresis_c, np.float64), 1e-6)
    indoor = flat(indoor_c, np.float64)
    temp = np.where(np.isnan(indoor), setpoint, indoor)
    on = flat(switched_on, np.bool_)
    run = on & start_running(cooling, temp, flat(running, np.bool_), setpoint, band)
    heat_w = np.maximum(flat(rated_power_w, np.float64), 0.0) * (AC_COP if cooling else HEATER_COP)
    sign = -1.0 if cooling else 1.0
    tau = heat_capacity_j_per_k / ua_w_per_k
    remaining = np.maximum(flat(dt_s, np.float64), 0.0)
    outdoor = flat(outdoor_c, np.float64)
    # Each pass works on the rooms still inside their step only (after the first pass, the few
    # that switched): the same arithmetic per room as a pass over all of them.
    active = np.flatnonzero(remaining > 0.0)
    for _ in range(MAX_SWITCHES):
        if active.size == 0:
            break
        run_a = np.take(run, active)
        temp_a = np.take(temp, active)
        left = np.take(remaining, active)
        sp = np.take(setpoint, active)
        band_a = np.take(band, active)
        t_eq = np.take(outdoor, active) + sign * np.take(heat_w, active) * run_a / ua_w_per_k
        # The edge that switches the current state: a running heater stops at sp + h, an idle
        # one starts at sp - h; an air conditioner the other way round.
        stop_high = run_a != cooling
        edge = np.where(stop_high, sp + band_a, sp - band_a)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (edge - t_eq) / (temp_a - t_eq)
        crossing = np.flatnonzero(np.take(on, active) & (ratio > 0.0) & (ratio <= 1.0))
        hit = np.full(active.size, np.inf)
        hit[crossing] = -tau * np.log(np.take(ratio, crossing))
        switch = hit <= left
        step = np.where(switch, hit, left)
        drift = t_eq + (temp_a - t_eq) * np.exp(-step / tau)
        temp[active] = np.where(switch, edge, drift)
        run[active] = run_a ^ switch
        left = left - step
        remaining[active] = left
        active = np.take(active, np.flatnonzero(left > 0.0))
    else:
        stuck = remaining > 0.0
        temp = np.where(stuck & on, np.clip(temp, setpoint - band, setpoint + band), temp)
    return ThermostatState(indoor_c=temp.reshape(shape), running=(run & on).reshape(shape))
