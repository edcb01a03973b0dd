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
    poa_on_plane_w_m2,
    sky_terms,
    temperature_derating,
    topocentric_azimuth_deg,
)
from app.simulation.physics_devices import HouseholdArrays, OrientationArrays, ThermostatArrays
from app.simulation.solar import GeocentricSun
from app.simulation.storage import elapsed_s, replay_mask
from app.simulation.thermostat import step_rooms

__all__ = [
    "HouseholdArrays",
    "OrientationArrays",
    "PanelSites",
    "RoomResult",
    "ThermostatArrays",
    "household_load",
    "oriented_solar_power_w",
    "panel_sites",
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


@dataclass(frozen=True, slots=True)
class PanelSites:
    """Where the sun is evaluated for a batch's panels: one site per home, plus one per panel
    that is not at its home's location; `site` maps each panel to its site.

    Why: panels share their home's latitude and longitude (20 to a home in the benchmark), and
    everything the sun and the weather contribute (SPA elevation and azimuth, the clear-sky
    irradiance and its split, the outdoor temperature) depends on the location only. Computed
    per site and gathered per panel, it is the same arithmetic on the same numbers, so the
    results are bit for bit those of the per-panel computation.
    """

    latitude: FloatArray
    longitude: FloatArray
    site: IndexArray
    n_homes: int
    """Sites 0..n_homes-1 are the homes (row-aligned with the batch's users)."""


def panel_sites(
    panels: SolarArrays, home_latitude: FloatArray, home_longitude: FloatArray
) -> PanelSites:
    """The sites of `panels` (see `PanelSites`); a panel is at its home when its latitude and
    longitude have the same bits as the home's."""
    n_homes = int(home_latitude.size)
    lat_bits = np.take(home_latitude, panels.user).view(np.int64)
    lon_bits = np.take(home_longitude, panels.user).view(np.int64)
    away = np.flatnonzero(
        (panels.latitude.view(np.int64) != lat_bits) | (panels.longitude.view(np.int64) != lon_bits)
    )
    if away.size == 0:
        return PanelSites(home_latitude, home_longitude, panels.user, n_homes)
    site = panels.user.copy()
    site[away] = n_homes + np.arange(away.size, dtype=np.int64)
    return PanelSites(
        np.concatenate([home_latitude, panels.latitude[away]]),
        np.concatenate([home_longitude, panels.longitude[away]]),
        site,
        n_homes,
    )


def oriented_solar_power_w(
    panels: SolarArrays,
    orientation: OrientationArrays,
    rows: IndexArray,
    sites: PanelSites,
    sun: GeocentricSun,
    site_elevation_deg: FloatArray,
    site_ghi_w_m2: FloatArray,
    site_outdoor_c: FloatArray,
    cloud: FloatArray,
    cycle_s: float,
) -> FloatArray:
    """Output (W) of the tilted panels `rows` with plane-of-array irradiance and temperature
    derating. Site arrays hold one value per site (`sites`), `cloud` one per panel.

    A panel whose site has no clear-sky light (the sun down) gives 0 W without any float work:
    with GHI 0 every irradiance term of the chain is 0.
    """
    power = np.zeros(rows.size)
    site_of_row = np.take(sites.site, rows)
    lit = np.flatnonzero(np.take(site_ghi_w_m2, site_of_row) != 0.0)
    if lit.size == 0:
        return power
    panel = np.take(rows, lit)
    site = np.take(site_of_row, lit)
    # Per site: the sun, its light and the weather (a few thousand rows, not one per panel).
    lat, lon = sites.latitude, sites.longitude
    zenith = 90.0 - site_elevation_deg
    dni, dhi = clear_sky_split(site_ghi_w_m2, zenith)
    sky = sky_terms(zenith, dni, site_ghi_w_m2, dhi, extra_radiation_w_m2(day_of_year(cycle_s)))
    sun_azimuth = topocentric_azimuth_deg(sun, lat, lon)
    # Per panel: its own angles, each cosine once.
    tilt = np.radians(np.take(orientation.tilt_deg, panel))
    relative = np.take(sun_azimuth, site) - np.take(orientation.azimuth_deg, panel)
    poa = poa_on_plane_w_m2(
        sky.take(site), np.cos(tilt), np.sin(tilt), np.cos(np.radians(relative))
    )
    cell = faiman_cell_temperature_c(poa, np.take(site_outdoor_c, site))
    derate = temperature_derating(cell, np.take(orientation.temperature_coefficient_per_k, panel))
    raw = (
        poa
        * np.take(panels.panel_area_m2, panel)
        * np.take(panels.efficiency, panel)
        * np.take(cloud, panel)
        * derate
    )
    power[lit] = np.clip(raw, 0.0, np.maximum(np.take(panels.max_capacity_w, panel), 0.0))
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
    rows = np.flatnonzero(engaged)
    if rows.size == 0:
        return np.where(on, ramp_power_w, 0.0), RoomResult(
            engaged,
            thermostats.indoor_c.copy(),
            thermostats.running.copy(),
            thermostats.simulated_at_s.copy(),
        )
    every = rows.size == len(loads)

    def pick(values: np.ndarray) -> np.ndarray:
        """The thermostat rows of a column (the column itself when every row has one)."""
        return values if every else np.take(values, rows)

    stored_at = pick(thermostats.simulated_at_s)
    stored_indoor = pick(thermostats.indoor_c)
    stored_running = pick(thermostats.running)
    switched_on = pick(on)
    rated = pick(loads.rated_power_w)
    replay = replay_mask(cycle_s, stored_at)
    state = step_rooms(
        cooling=cooling,
        rated_power_w=rated,
        switched_on=switched_on,
        setpoint_c=pick(thermostats.setpoint_c),
        hysteresis_c=pick(thermostats.hysteresis_c),
        indoor_c=stored_indoor,
        running=stored_running,
        outdoor_c=np.take(outdoor_by_user_c, pick(loads.user)),
        dt_s=elapsed_s(cycle_s, stored_at, max_elapsed_s),
    )
    room_indoor = np.where(replay, stored_indoor, state.indoor_c)
    room_running = np.where(replay, stored_running & switched_on, state.running)
    room_simulated = np.where(replay, stored_at, cycle_s)
    room_power = np.where(room_running, np.maximum(rated, 0.0), 0.0)
    if every:
        return room_power, RoomResult(engaged, room_indoor, room_running, room_simulated)
    power = np.where(on, ramp_power_w, 0.0)
    indoor = thermostats.indoor_c.copy()
    running = thermostats.running.copy()
    simulated = thermostats.simulated_at_s.copy()
    indoor[rows] = room_indoor
    running[rows] = room_running
    simulated[rows] = room_simulated
    power[rows] = room_power
    return power, RoomResult(engaged, indoor, running, simulated)


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
