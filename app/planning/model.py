"""The planner's view of a home: what it can produce, consume and store, in plain numbers.

Why a separate model and not the engine's arrays: the planner looks ahead over many slots of one
home, the engine over one instant of many homes. `inputs.plan_home` is the only function that reads
device rows into it, so a new control field (reserve, efficiency, schedule...) changes one place.
Units are in the names (W, Wh, fractions of capacity in [0, 1]).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import time

import numpy as np

from app.simulation.arrays import FloatArray, KeyArray


@dataclass(frozen=True, slots=True)
class DepartureRule:
    """An EV is away on `days` (Monday = 0) from `depart_at` until `return_at` (local), and
    should hold `target` of its capacity when it leaves."""

    days: frozenset[int]
    depart_at: time
    return_at: time
    target: float


@dataclass(frozen=True, slots=True)
class PlanBattery:
    """A home battery: level and bounds in Wh, power in W, round-trip efficiency in (0, 1]."""

    capacity_wh: float
    power_w: float
    level_wh: float
    reserve_wh: float = 0.0
    round_trip_efficiency: float = 1.0


@dataclass(frozen=True, slots=True)
class PlanEV:
    """An electric vehicle: level and bounds in Wh, charge power in W, driving draw in W while
    away. `chargeable` is False when its owner switched it off (OFFLINE)."""

    capacity_wh: float
    level_wh: float
    rate_w: float
    driving_w: float
    min_wh: float
    limit_wh: float
    schedule: tuple[DepartureRule, ...]
    chargeable: bool = True


@dataclass(frozen=True, slots=True)
class PlanThermostat:
    """An air conditioner (`cooling`) or heater on a thermostat: rated W, setpoint and band
    (degC), and its room's state from the latest cycle (`indoor_c` NaN: none yet)."""

    rated_w: float
    cooling: bool
    setpoint_c: float
    hysteresis_c: float
    indoor_c: float
    running: bool
    switched_on: bool = True


def _no_keys() -> KeyArray:
    return np.empty(0, dtype=np.uint64)


def _no_floats() -> FloatArray:
    return np.empty(0, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class PlanHome:
    """One home: its clock and place, its panels (columns), generators and loads (rated W),
    and its storage."""

    home_id: uuid.UUID
    timezone: str
    latitude: float
    longitude: float
    panel_key: KeyArray = field(default_factory=_no_keys)
    panel_area_m2: FloatArray = field(default_factory=_no_floats)
    panel_efficiency: FloatArray = field(default_factory=_no_floats)
    panel_max_w: FloatArray = field(default_factory=_no_floats)
    panel_latitude: FloatArray = field(default_factory=_no_floats)
    panel_longitude: FloatArray = field(default_factory=_no_floats)
    generator_w: float = 0.0
    air_conditioner_w: float = 0.0
    heater_w: float = 0.0
    thermostats: tuple[PlanThermostat, ...] = ()
    """Air conditioners and heaters with a setpoint (not in `air_conditioner_w`/`heater_w`,
    which are the rated W of those on the outdoor ramp)."""
    household_kwh: float = 0.0
    """Annual consumption (kWh/a) of the home's household loads together (BDEW H0 profile)."""
    batteries: tuple[PlanBattery, ...] = ()
    evs: tuple[PlanEV, ...] = ()

    @property
    def has_storage(self) -> bool:
        return bool(self.batteries or self.evs)
