"""Air conditioner and heater demand from the outdoor temperature (see `weather.py`).

Why: a thermostat-like ramp is enough for a simulation and easy to reason about. Each load draws
`rated_power_w * fraction`, where the fraction (0 to 1) grows linearly with how far the outdoor
temperature is past a comfort threshold:

- air conditioner: 0 at or below AC_START_C (24 degC), full power at or above AC_FULL_C (34 degC),
  so it works hardest on hot afternoons;
- heater: 0 at or above HEATER_START_C (16 degC), full power at or below HEATER_FULL_C (0 degC),
  so it works hardest on cold nights.

Power is a magnitude in W (>= 0); a load with fraction 0 is idle.
"""

from __future__ import annotations

import numpy as np

from app.simulation.arrays import FloatArray

AC_START_C = 24.0
AC_FULL_C = 34.0
HEATER_START_C = 16.0
HEATER_FULL_C = 0.0


def air_conditioner_fraction(temperature_c: FloatArray) -> FloatArray:
    """Share of rated power (0..1) an air conditioner draws at this outdoor temperature (degC)."""
    return np.clip((temperature_c - AC_START_C) / (AC_FULL_C - AC_START_C), 0.0, 1.0)


def heater_fraction(temperature_c: FloatArray) -> FloatArray:
    """Share of rated power (0..1) a heater draws at this outdoor temperature (degC)."""
    return np.clip((HEATER_START_C - temperature_c) / (HEATER_START_C - HEATER_FULL_C), 0.0, 1.0)


def load_power_w(rated_power_w: FloatArray, fraction: FloatArray) -> FloatArray:
    """Power drawn in W (>= 0): rated power times the demand fraction."""
    return np.maximum(rated_power_w, 0.0) * fraction
