"""Batch inputs of the device physics (docs/physics.md): row-aligned extras of existing kinds and
the household base load. Each is optional in `FleetInput`: left out, a kind runs its original
model, so batches built without them (benchmarks, older callers) give the original numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np

from app.simulation.arrays import BoolArray, FloatArray, IndexArray, KeyArray
from app.simulation.devices import DeviceArrays


def _bool(values: object) -> BoolArray:
    return np.asarray(values, dtype=np.bool_).reshape(-1)


def _float(values: object) -> FloatArray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


@dataclass(frozen=True, slots=True)
class OrientationArrays:
    """Per solar panel (row-aligned with `SolarArrays`): tilt from horizontal and azimuth
    (degrees clockwise from north), power temperature coefficient (1/K). A flat panel (tilt 0)
    keeps the original horizontal model exactly."""

    tilt_deg: FloatArray
    azimuth_deg: FloatArray
    temperature_coefficient_per_k: FloatArray

    def __post_init__(self) -> None:
        for name in ("tilt_deg", "azimuth_deg", "temperature_coefficient_per_k"):
            object.__setattr__(self, name, _float(getattr(self, name)))
        if not (
            self.tilt_deg.size == self.azimuth_deg.size == self.temperature_coefficient_per_k.size
        ):
            raise ValueError("OrientationArrays columns must have the same length")

    def __len__(self) -> int:
        return int(self.tilt_deg.size)


@dataclass(frozen=True, slots=True)
class ThermostatArrays:
    """Per air conditioner or heater (row-aligned with its `LoadArrays`).

    `switched_on` False draws nothing; `setpoint_c` NaN = no thermostat (the original
    outdoor-temperature ramp); `hysteresis_c` half-width of the band; the room's state from the
    previous cycle: `indoor_c` (NaN = none yet: starts at the setpoint), `running`,
    `simulated_at_s` (epoch seconds, NaN = never).
    """

    switched_on: BoolArray
    setpoint_c: FloatArray
    hysteresis_c: FloatArray
    indoor_c: FloatArray
    running: BoolArray
    simulated_at_s: FloatArray

    def __post_init__(self) -> None:
        for name in ("switched_on", "running"):
            object.__setattr__(self, name, _bool(getattr(self, name)))
        for name in ("setpoint_c", "hysteresis_c", "indoor_c", "simulated_at_s"):
            object.__setattr__(self, name, _float(getattr(self, name)))
        sizes = {getattr(self, n).size for n in self.__dataclass_fields__}
        if len(sizes) > 1:
            raise ValueError("ThermostatArrays columns must have the same length")

    def __len__(self) -> int:
        return int(self.setpoint_c.size)

    @classmethod
    def untouched(cls, n: int) -> Self:
        """`n` devices nobody has set: on, no thermostat (the original model)."""
        nan = np.full(n, np.nan)
        return cls(np.ones(n, bool), nan, np.ones(n), nan, np.zeros(n, bool), nan)


@dataclass(frozen=True, slots=True)
class HouseholdArrays(DeviceArrays):
    """Household base loads: annual consumption kWh (BDEW H0 profile, `household.py`)."""

    key: KeyArray
    user: IndexArray
    annual_consumption_kwh: FloatArray
