"""Many cycles of one batch in a row: `simulate_cycles(FleetInput, instants)` (pure).

Why: a replay (the what-if `scenario`, app/planning/replay.py) runs the engine at every cycle of
a stretch of days, 10,080 cycles for a week. Stepping `simulate_fleet` cycle by cycle recomputes
everything at every instant, much of it in tiny NumPy calls. What does not depend on any state
(the outdoor temperature, the sun and the panels' output, the generators' seeded variation)
depends on the instant and the device keys only, so it is computed here for all the instants at
once, as (instants x devices) grids, and handed to each cycle (`FleetInput.precomputed`). Only
what carries state from one cycle to the next is stepped instant by instant: battery levels, EV
charge and commute, the AUTO generators' run state and the thermostat rooms, through the very
dispatch `simulate_fleet` runs (one code path, so the same results).

The results equal stepping `simulate_fleet` cycle by cycle and carrying the state as the live
cycle stores it (tests/simulation/test_cycles.py checks it over random homes of every kind and
mode): the same per-(device, cycle second) seeded draws (`rng.uniform_grid`), the same
elementwise arithmetic on the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TypeVar

import numpy as np

from app.simulation.arrays import FloatArray, IndexArray, require_aware
from app.simulation.fleet import (
    CycleInputs,
    FleetInput,
    FleetResult,
    check_input,
    simulate_fleet,
    tilted_panels,
    user_zones,
)
from app.simulation.generator import VARIATION
from app.simulation.physics import oriented_solar_power_w, panel_sites
from app.simulation.rng import STREAM_CLOUD, STREAM_GENERATOR, uniform_grid
from app.simulation.solar import (
    GeocentricSun,
    clear_sky_irradiance_w_m2,
    geocentric_sun,
    sun_instant,
    topocentric_elevation_deg,
)
from app.simulation.solar_panel import CLOUD_MAX, CLOUD_MIN, panel_power_from_irradiance_w
from app.simulation.weather import outdoor_temperature_c

__all__ = ["CycleGrid", "cycle_grid", "simulate_cycles"]

_T = TypeVar("_T")
_FIELDS: dict[type, tuple[str, ...]] = {}


@dataclass(frozen=True, slots=True)
class CycleGrid:
    """The stateless inputs of many cycles: row k of each grid is cycle k's `CycleInputs`."""

    outdoor_c: FloatArray
    """(instants, users) degC."""
    solar_power_w: FloatArray
    """(instants, panels) W."""
    generator_power_w: FloatArray
    """(instants, generators) W, before the owners' modes."""
    zone_names: list[str]
    user_zone: IndexArray

    def row(self, k: int) -> CycleInputs:
        return CycleInputs(
            outdoor_c=self.outdoor_c[k],
            solar_power_w=self.solar_power_w[k],
            generator_power_w=self.generator_power_w[k],
            zone_names=self.zone_names,
            user_zone=self.user_zone,
        )


def _solar_grid(
    inp: FleetInput, t: FloatArray, seconds: np.ndarray, outdoor: FloatArray, sun: GeocentricSun
) -> FloatArray:
    """Every panel's output at every instant, as `fleet._solar` computes it for one."""
    panels = inp.solar
    k = t.size
    if len(panels) == 0:
        return np.empty((k, 0))
    sites = panel_sites(panels, inp.users.latitude, inp.users.longitude)
    elevation = topocentric_elevation_deg(
        sun, sites.latitude[None, :], sites.longitude[None, :], instant=np.arange(k)[:, None]
    )
    ghi = clear_sky_irradiance_w_m2(elevation)
    cloud = CLOUD_MIN + (CLOUD_MAX - CLOUD_MIN) * uniform_grid(panels.key, seconds, STREAM_CLOUD)
    orientation = inp.solar_orientation
    tilted = tilted_panels(inp)
    power = np.empty((k, len(panels)))
    flat = (
        np.arange(len(panels))
        if orientation is None
        else np.flatnonzero(~(orientation.tilt_deg > 0.0))
    )
    if flat.size:
        power[:, flat] = panel_power_from_irradiance_w(
            ghi[:, np.take(sites.site, flat)],
            np.take(panels.panel_area_m2, flat),
            np.take(panels.efficiency, flat),
            np.take(panels.max_capacity_w, flat),
            cloud[:, flat],
        )
    if tilted.size == 0:
        return power
    assert orientation is not None
    site_outdoor = outdoor
    if sites.latitude.size > sites.n_homes:
        extra = slice(sites.n_homes, None)
        site_outdoor = np.concatenate(
            [
                outdoor,
                outdoor_temperature_c(
                    sites.latitude[extra][None, :], sites.longitude[extra][None, :], t[:, None]
                ),
            ],
            axis=1,
        )
    # Tilted panels: the plane-of-array chain per instant (on the grids' rows).
    for i in range(k):
        power[i, tilted] = oriented_solar_power_w(
            panels,
            orientation,
            tilted,
            sites,
            sun_instant(sun, i),
            elevation[i],
            ghi[i],
            site_outdoor[i],
            cloud[i],
            float(t[i]),
        )
    return power


def cycle_grid(
    inp: FleetInput, instants_s: FloatArray, sun: GeocentricSun | None = None
) -> CycleGrid:
    """The stateless inputs of `inp`'s devices at every instant (epoch s; `sun`: the geocentric
    sun of those instants, computed here when None)."""
    check_input(inp)
    zone_names, user_zone = user_zones(inp)
    t = np.asarray(instants_s, dtype=np.float64).reshape(-1)
    seconds = np.floor(t).astype(np.int64)
    if sun is None:
        sun = geocentric_sun(t)
    users = inp.users
    outdoor = outdoor_temperature_c(users.latitude[None, :], users.longitude[None, :], t[:, None])
    outdoor = np.broadcast_to(outdoor, (t.size, len(users)))
    gens = inp.generators
    u = uniform_grid(gens.key, seconds, STREAM_GENERATOR)
    generator = np.maximum(gens.rated_power_w, 0.0)[None, :] * (1.0 + VARIATION * (2.0 * u - 1.0))
    return CycleGrid(
        outdoor_c=outdoor,
        solar_power_w=_solar_grid(inp, t, seconds, outdoor, sun),
        generator_power_w=generator,
        zone_names=zone_names,
        user_zone=user_zone,
    )


def _evolve(obj: _T, **changes: object) -> _T:
    """`dataclasses.replace` without `__post_init__`: the state carried between cycles is the
    engine's own output (already coerced and checked), and re-validating four dataclasses per
    cycle was a tenth of a replay."""
    cls = type(obj)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    new = object.__new__(cls)
    for name in names:
        object.__setattr__(new, name, changes[name] if name in changes else getattr(obj, name))
    return new


def simulate_cycles(
    inp: FleetInput, instants: Sequence[datetime], sun: GeocentricSun | None = None
) -> Iterator[FleetResult]:
    """The results of the cycles at `instants` (oldest first), each cycle starting from the
    state the previous one left (batteries, EVs, AUTO generators, thermostat rooms), as the
    live cycle stores it. `inp.cycle_at` is ignored; `sun` as in `cycle_grid`."""
    if not instants:
        return
    t = np.asarray([require_aware(at).timestamp() for at in instants], dtype=np.float64)
    grid = cycle_grid(inp, t, sun)
    bats, evs, gens = inp.batteries, inp.evs, inp.generator_controls
    ac, heat = inp.air_conditioner_thermostats, inp.heater_thermostats
    for k, at in enumerate(instants):
        result = simulate_fleet(
            _evolve(
                inp,
                cycle_at=at,
                batteries=bats,
                evs=evs,
                generator_controls=gens,
                air_conditioner_thermostats=ac,
                heater_thermostats=heat,
                precomputed=grid.row(k),
            )
        )
        yield result
        b, e = result.batteries, result.evs
        bats = _evolve(bats, level_wh=b.level_wh, simulated_at_s=b.simulated_at_s, flow_w=b.flow_w)
        evs = _evolve(
            evs,
            charge_kwh=e.charge_kwh,
            simulated_at_s=e.simulated_at_s,
            flow_w=e.flow_w,
            last_seen_at_s=e.last_seen_at_s,
        )
        state = result.generator_state
        if gens is not None and state is not None:
            gens = _evolve(
                gens, run_started_at_s=state.run_started_at_s, simulated_at_s=state.simulated_at_s
            )
        if ac is not None and result.air_conditioner_rooms is not None:
            room = result.air_conditioner_rooms
            ac = _evolve(
                ac, indoor_c=room.indoor_c, running=room.running, simulated_at_s=room.simulated_at_s
            )
        if heat is not None and result.heater_rooms is not None:
            room = result.heater_rooms
            heat = _evolve(
                heat,
                indoor_c=room.indoor_c,
                running=room.running,
                simulated_at_s=room.simulated_at_s,
            )
