"""The device physics of one cycle, as `fleet.simulate_fleet` calls it (docs/physics.md):
tilted panels (`irradiance.py`), thermostats (`thermostat.py`), household loads
(`household.py`). Each function leaves a kind exactly on its original model when its extra
input is absent or at its default (flat panel, no setpoint)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.simulation.arrays import BoolArray, FloatArray, IndexArray
from app.simulation.devices import LoadArrays, SolarArrays
from app.simulation.household import household_power_w
from app.simulation.irradiance import (
    clear_sky_split,
    day_of_year,
    extra_radiation_w_m2,
    faiman_cell_temperature_c,
    poa_global_w_m2,
    temperature_derating,
    topocentric_azimuth_deg,
)
from app.simulation.physics_devices import HouseholdArrays, OrientationArrays, ThermostatArrays
from app.simulation.solar import GeocentricSun, clear_sky_irradiance_w_m2
from app.simulation.solar_panel import cloud_factor
from app.simulation.storage import elapsed_s, replay_mask
from app.simulation.thermostat import step_rooms
from app.simulation.weather import outdoor_temperature_c

__all__ = [
    "HouseholdArrays",
    "OrientationArrays",
    "RoomResult",
    "ThermostatArrays",
    "household_load",
    "oriented_solar_power_w",
    "thermostat_loads",
]


@dataclass(frozen=True, slots=True)
class RoomResult:
    """Thermostat state after the cycle, row-aligned with the kind's loads. `thermostat` marks
    the rows that have a thermostat (a setpoint): only they have state to store."""

    thermostat: BoolArray
    indoor_c: FloatArray
    running: BoolArray
    simulated_at_s: FloatArray


def oriented_solar_power_w(
    panels: SolarArrays,
    orientation: OrientationArrays,
    sun: GeocentricSun,
    elevation_deg: FloatArray,
    flat_power_w: FloatArray,
    cycle_s: float,
) -> FloatArray:
    """Panel output with plane-of-array irradiance and temperature derating for tilted panels
    (tilt > 0); flat panels keep `flat_power_w`, the original model, bit for bit."""
    if len(orientation) != len(panels):
        raise ValueError("solar_orientation must be row-aligned with solar")
    rows = np.flatnonzero(orientation.tilt_deg > 0.0)
    if rows.size == 0:
        return flat_power_w
    elevation = elevation_deg[rows]
    ghi = clear_sky_irradiance_w_m2(elevation)
    zenith = 90.0 - elevation
    lat, lon = panels.latitude[rows], panels.longitude[rows]
    dni_extra = extra_radiation_w_m2(day_of_year(cycle_s))
    dni, dhi = clear_sky_split(ghi, zenith)
    poa = poa_global_w_m2(
        orientation.tilt_deg[rows],
        orientation.azimuth_deg[rows],
        zenith,
        topocentric_azimuth_deg(sun, lat, lon),
        dni,
        ghi,
        dhi,
        dni_extra,
    )
    cell = faiman_cell_temperature_c(poa, outdoor_temperature_c(lat, lon, cycle_s))
    derate = temperature_derating(cell, orientation.temperature_coefficient_per_k[rows])
    seconds = int(np.floor(cycle_s))
    raw = (
        poa
        * panels.panel_area_m2[rows]
        * panels.efficiency[rows]
        * cloud_factor(panels.key[rows], seconds)
        * derate
    )
    power = flat_power_w.copy()
    power[rows] = np.clip(raw, 0.0, np.maximum(panels.max_capacity_w[rows], 0.0))
    return power


def thermostat_loads(
    loads: LoadArrays,
    thermostats: ThermostatArrays | None,
    ramp_power_w: FloatArray,
    outdoor_by_user_c: FloatArray,
    cycle_s: float,
    max_elapsed_s: float,
    *,
    cooling: bool,
) -> tuple[FloatArray, RoomResult]:
    """Power of air conditioners (`cooling`) or heaters: rows without a setpoint keep the
    original ramp `ramp_power_w` (nothing when switched off), rows with one follow their room."""
    if thermostats is None:  # no thermostat anywhere: the original ramp, no state
        n = len(loads)
        nan = np.full(n, np.nan)
        return ramp_power_w, RoomResult(np.zeros(n, np.bool_), nan, np.zeros(n, np.bool_), nan)
    if len(thermostats) != len(loads):
        raise ValueError("thermostats must be row-aligned with their loads")
    engaged = ~np.isnan(thermostats.setpoint_c)
    on = thermostats.switched_on
    power = np.where(on, ramp_power_w, 0.0)
    indoor = thermostats.indoor_c.copy()
    running = thermostats.running.copy()
    simulated = thermostats.simulated_at_s.copy()
    rows = np.flatnonzero(engaged)
    if rows.size:
        stored_at = thermostats.simulated_at_s[rows]
        replay = replay_mask(cycle_s, stored_at)
        state = _step(loads, thermostats, rows, outdoor_by_user_c, cycle_s, max_elapsed_s, cooling)
        indoor[rows] = np.where(replay, thermostats.indoor_c[rows], state[0])
        running[rows] = np.where(replay, thermostats.running[rows] & on[rows], state[1])
        simulated[rows] = np.where(replay, stored_at, cycle_s)
        power[rows] = np.where(running[rows], np.maximum(loads.rated_power_w[rows], 0.0), 0.0)
    return power, RoomResult(engaged, indoor, running, simulated)


def _step(
    loads: LoadArrays,
    thermostats: ThermostatArrays,
    rows: IndexArray,
    outdoor_by_user_c: FloatArray,
    cycle_s: float,
    max_elapsed_s: float,
    cooling: bool,
) -> tuple[FloatArray, BoolArray]:
    state = step_rooms(
        cooling=cooling,
        rated_power_w=loads.rated_power_w[rows],
        switched_on=thermostats.switched_on[rows],
        setpoint_c=thermostats.setpoint_c[rows],
        hysteresis_c=thermostats.hysteresis_c[rows],
        indoor_c=thermostats.indoor_c[rows],
        running=thermostats.running[rows],
        outdoor_c=outdoor_by_user_c[loads.user[rows]],
        dt_s=elapsed_s(cycle_s, thermostats.simulated_at_s[rows], max_elapsed_s),
    )
    return state.indoor_c, state.running


def household_load(
    households: HouseholdArrays | None,
    zone_names: Sequence[str],
    user_zone: IndexArray,
    cycle_s: float,
) -> FloatArray:
    """Power (W) of each household load (empty without any)."""
    if households is None or len(households) == 0:
        return np.empty(0)
    return household_power_w(
        households.key,
        households.annual_consumption_kwh,
        user_zone[households.user],
        zone_names,
        cycle_s,
    )
