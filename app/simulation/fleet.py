"""Batch entry point: simulate every device of a batch of homes for one cycle instant.

`simulate_fleet(FleetInput) -> FleetResult` is pure (no I/O, no clock, no global random state):
the cycle instant comes in as `cycle_at`, randomness from hashes of (device key, cycle second).
Workers load a batch of users into per-kind arrays (`devices.py`), call it, and write the results.

Signs and units (see API.md "Units and signs"): power_w is a magnitude (W, >= 0); flow_w is > 0
when storage charges (draws power) and < 0 when it discharges; per user
net_grid_flow_w = consumption_w + storage_flow_w - production_w (> 0 importing from the grid).

Dispatch order within each home (this order is what makes a self-consumption battery never charge
from the grid nor discharge into it, against the balance it sees):

1. Producers and loads: solar panels and generators produce, air conditioners and heaters consume.
2. EVs at home in CHARGING mode charge at their charge rate up to 90 % of capacity, whatever the
   home produces (they are a load on the home; the grid covers any shortfall).
3. Batteries see balance = loads + EV charging - production. With a surplus (balance < 0) they
   charge with at most the surplus, with a deficit they discharge at most the deficit, each within
   capacity_wh * c_rate and its remaining room/energy; a home's batteries share in proportion to
   their limits.
4. EVs at home in DISCHARGING mode (vehicle-to-home) supply what deficit is left after the
   batteries, within their charge rate and down to 20 % of capacity, shared the same way.
5. EVs away (07:00-18:00 local, Monday-Friday) or set OFFLINE by their owner have flow 0.

Storage stepping and replays follow `storage.py`: a device whose `simulated_at_s` is at or after
`cycle_at` keeps its stored level and reports its stored flow (a re-run cycle changes nothing); its
stored flow still counts in its home's balance at its stage. Otherwise the level advances by exactly
flow_w * elapsed_s / 3600 Wh; for an EV the flow applies to the part of the interval it was home
(`connected_s`) and the energy driven while away (`driven_kwh`) is deducted first:

    charge_kwh = old_charge_kwh - driven_kwh + flow_w * connected_s / 3.6e6

An EV's reported `mode` is OFFLINE while away, else the owner's `mode_setting` (replays included).

Owner controls (`ev_controls`, `battery_controls`, `generator_controls`, `prices`; see
`app/simulation/control.py` and docs/control.md) change stages 1-4: generators OFF/ON/AUTO, EV
charge modes OFF/NOW/SOLAR/SMART with min/limit SoC and weekly schedules, battery modes with
reserve and round-trip efficiency. `planned_battery_w` / `planned_ev_w` (the planner's current
slot per home, NaN = none) make OPTIMIZED batteries and SMART EVs follow the plan, clamped by
their bounds; a following battery takes the home's surplus or covers its deficit first, and
what it imports or exports beyond that is not covered or absorbed by the other batteries and
V2H (as for CHARGE). Left out, or on their defaults, the dispatch above is
reproduced exactly (tests/simulation/test_golden.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from app.simulation.arrays import BoolArray, CodeArray, FloatArray, IndexArray, require_aware
from app.simulation.control import (
    BATTERY_CHARGE,
    BATTERY_HOLD,
    BATTERY_OPTIMIZED,
    DEFAULT_SCHEDULE,
    EV_NOW,
    EV_OFF,
    EV_SMART,
    EV_SOLAR,
    GENERATOR_AUTO,
    GENERATOR_ON,
    BatteryControls,
    EVControls,
    GeneratorControls,
    GeneratorState,
    PriceHorizon,
    efficiency_split,
    schedule_state,
    smart_room_wh,
)
from app.simulation.control import auto_generator as _auto_generator
from app.simulation.devices import (
    BatteryArrays,
    EVArrays,
    GeneratorArrays,
    LoadArrays,
    SolarArrays,
    UserArrays,
)
from app.simulation.electric_vehicle import CHARGE_TARGET, V2H_FLOOR, commute, driving_kwh
from app.simulation.generator import generator_power_w
from app.simulation.loads import air_conditioner_fraction, heater_fraction, load_power_w
from app.simulation.physics import (
    HouseholdArrays,
    OrientationArrays,
    RoomResult,
    ThermostatArrays,
    household_load,
    oriented_solar_power_w,
    panel_sites,
    thermostat_loads,
)
from app.simulation.solar import (
    GeocentricSun,
    clear_sky_irradiance_w_m2,
    geocentric_sun,
    topocentric_elevation_deg,
)
from app.simulation.solar_panel import cloud_factor, panel_power_from_irradiance_w
from app.simulation.status import (
    EV_CHARGING,
    EV_DISCHARGING,
    EV_MODE_NAMES,
    EV_OFFLINE,
    STATUS_NAMES,
    STATUS_OFFLINE,
    active_status,
    storage_status,
)
from app.simulation.storage import (
    advance_level_wh,
    battery_power_limits_w,
    elapsed_s,
    energy_limited_power_w,
    replay_mask,
    share_by_limit,
)
from app.simulation.weather import outdoor_temperature_c

__all__ = [
    "EV_CHARGING",
    "EV_DISCHARGING",
    "EV_MODE_NAMES",
    "EV_OFFLINE",
    "STATUS_NAMES",
    "BatteryArrays",
    "BatteryResult",
    "CycleInputs",
    "DeviceResult",
    "EVArrays",
    "EVResult",
    "FleetInput",
    "FleetResult",
    "GeneratorArrays",
    "HouseholdArrays",
    "OrientationArrays",
    "RoomResult",
    "ThermostatArrays",
    "LoadArrays",
    "SolarArrays",
    "UserArrays",
    "UserResult",
    "simulate_fleet",
]

DEFAULT_MAX_ELAPSED_S = 86_400.0
"""Longest interval a storage device is advanced in one cycle (s); older state is capped."""


@dataclass(frozen=True, slots=True)
class FleetInput:
    """Everything one cycle needs: the instant (tz-aware) and the batch's per-kind arrays."""

    cycle_at: datetime
    users: UserArrays
    solar: SolarArrays
    generators: GeneratorArrays
    batteries: BatteryArrays
    evs: EVArrays
    air_conditioners: LoadArrays
    heaters: LoadArrays
    max_elapsed_s: float = DEFAULT_MAX_ELAPSED_S
    # Owner controls (app/simulation/control.py); None: the original behaviour for that kind.
    ev_controls: EVControls | None = None
    battery_controls: BatteryControls | None = None
    generator_controls: GeneratorControls | None = None
    prices: PriceHorizon | None = None
    sun: GeocentricSun | None = None
    """The geocentric sun at `cycle_at` (one instant), precomputed by a caller that runs many
    cycles (a replay: `solar.sun_instant`); None: computed here."""
    # Device physics (docs/physics.md); None = the original models (a flat panel, no thermostat,
    # no household load). Orientation and thermostats are row-aligned with their kind.
    solar_orientation: OrientationArrays | None = None
    air_conditioner_thermostats: ThermostatArrays | None = None
    heater_thermostats: ThermostatArrays | None = None
    households: HouseholdArrays | None = None
    # The planner's current slot per home (rows of `users`), W, > 0 charging; NaN: no plan.
    # None: no home has a plan (OPTIMIZED as SELF_CONSUMPTION, SMART by its price heuristic).
    planned_battery_w: FloatArray | None = None
    """The home's planned battery flow: its OPTIMIZED batteries follow it (needs
    `battery_controls`)."""
    planned_ev_w: FloatArray | None = None
    """The home's planned EV charging power: its SMART EVs at home follow it (needs
    `ev_controls`)."""
    precomputed: CycleInputs | None = None
    """This cycle's stateless inputs, computed for many cycles at once by `cycles.py`
    (`simulate_cycles`); None: computed here, as the live cycle does."""


@dataclass(frozen=True, slots=True)
class CycleInputs:
    """What a cycle computes before any state: the outdoor temperature per user (degC), the
    panels' output and the generators' rated-mode output (W, before owner modes). They depend
    on the instant and the device keys only, so a multi-cycle caller computes them for all its
    instants in a few vectorised calls and hands each cycle its row."""

    outdoor_c: FloatArray
    solar_power_w: FloatArray
    generator_power_w: FloatArray
    zone_names: list[str]
    """`user_zones` of the batch (the same every cycle); the batch was `check_input`-ed."""
    user_zone: IndexArray


@dataclass(frozen=True, slots=True)
class DeviceResult:
    """Producers and loads: `power_w` magnitude (W, >= 0) and `status` code (`STATUS_NAMES`)."""

    power_w: FloatArray
    status: CodeArray


@dataclass(frozen=True, slots=True)
class BatteryResult:
    """Batteries after the cycle: power_w = |flow_w|; level Wh; times in epoch seconds."""

    power_w: FloatArray
    status: CodeArray
    level_wh: FloatArray
    flow_w: FloatArray
    simulated_at_s: FloatArray
    elapsed_s: FloatArray


@dataclass(frozen=True, slots=True)
class EVResult:
    """EVs after the cycle: power_w = |flow_w|; charge kWh; `mode` effective EV mode code.

    `elapsed_s` is the simulated interval, `connected_s` the part of it spent at home (the flow
    applies to it), `driven_kwh` the energy used driving during the rest.
    """

    power_w: FloatArray
    status: CodeArray
    charge_kwh: FloatArray
    flow_w: FloatArray
    mode: CodeArray
    last_seen_at_s: FloatArray
    simulated_at_s: FloatArray
    elapsed_s: FloatArray
    connected_s: FloatArray
    driven_kwh: FloatArray


@dataclass(frozen=True, slots=True)
class UserResult:
    """Per-user figures in W: production, consumption (>= 0), storage flow, net grid flow."""

    production_w: FloatArray
    consumption_w: FloatArray
    storage_flow_w: FloatArray
    net_grid_flow_w: FloatArray


@dataclass(frozen=True, slots=True)
class FleetResult:
    """Results per kind, row-aligned with the `FleetInput` arrays, plus per-user figures."""

    solar: DeviceResult
    generators: DeviceResult
    air_conditioners: DeviceResult
    heaters: DeviceResult
    batteries: BatteryResult
    evs: EVResult
    users: UserResult
    generator_state: GeneratorState | None = None
    """AUTO run state to persist (all stopped, NaN times, without generator controls)."""
    # Device physics: household loads (empty without), the rooms of thermostat devices.
    households: DeviceResult | None = None
    air_conditioner_rooms: RoomResult | None = None
    heater_rooms: RoomResult | None = None


def _per_user(user: IndexArray, values: FloatArray, n_users: int) -> FloatArray:
    """Sum device values per user (length n_users)."""
    return np.bincount(user, weights=values, minlength=n_users).astype(np.float64, copy=False)


def _check_users(kind: str, user: IndexArray, n_users: int) -> None:
    if user.size and (int(user.min()) < 0 or int(user.max()) >= n_users):
        raise ValueError(f"{kind}.user must index into users (0..{n_users - 1})")


def tilted_panels(inp: FleetInput) -> IndexArray:
    """The rows of `inp.solar` that have a tilt (the plane-of-array chain); the others take the
    horizontal irradiance."""
    orientation = inp.solar_orientation
    if orientation is None:
        return np.empty(0, dtype=np.int64)
    if len(orientation) != len(inp.solar):
        raise ValueError("solar_orientation must be row-aligned with solar")
    return np.flatnonzero(orientation.tilt_deg > 0.0)


def _solar(
    inp: FleetInput, cycle_s: float, seconds: int, outdoor_by_user_c: FloatArray
) -> DeviceResult:
    panels = inp.solar
    if len(panels) == 0:
        return DeviceResult(np.empty(0), np.empty(0, dtype=np.int8))
    # One instant for the whole batch: the costly geocentric part of SPA runs once, and the
    # location-dependent part once per site (a home), not per panel (`physics.PanelSites`).
    sun = geocentric_sun(np.array([cycle_s])) if inp.sun is None else inp.sun
    sites = panel_sites(panels, inp.users.latitude, inp.users.longitude)
    site_elevation = topocentric_elevation_deg(sun, sites.latitude, sites.longitude)
    site_ghi = clear_sky_irradiance_w_m2(site_elevation)
    cloud = cloud_factor(panels.key, seconds)
    orientation = inp.solar_orientation
    tilted = tilted_panels(inp)
    if tilted.size == 0:
        power = panel_power_from_irradiance_w(
            np.take(site_ghi, sites.site),
            panels.panel_area_m2,
            panels.efficiency,
            panels.max_capacity_w,
            cloud,
        )
        return DeviceResult(power, active_status(power))
    assert orientation is not None
    power = np.empty(len(panels))
    if tilted.size < len(panels):
        flat = np.flatnonzero(~(orientation.tilt_deg > 0.0))
        power[flat] = panel_power_from_irradiance_w(
            np.take(site_ghi, np.take(sites.site, flat)),
            np.take(panels.panel_area_m2, flat),
            np.take(panels.efficiency, flat),
            np.take(panels.max_capacity_w, flat),
            np.take(cloud, flat),
        )
    site_outdoor = outdoor_by_user_c
    if sites.latitude.size > sites.n_homes:
        extra = slice(sites.n_homes, None)
        site_outdoor = np.concatenate(
            [
                outdoor_by_user_c,
                outdoor_temperature_c(sites.latitude[extra], sites.longitude[extra], cycle_s),
            ]
        )
    power[tilted] = oriented_solar_power_w(
        panels,
        orientation,
        tilted,
        sites,
        sun,
        site_elevation,
        site_ghi,
        site_outdoor,
        cloud,
        cycle_s,
    )
    return DeviceResult(power, active_status(power))


def _loads(loads: LoadArrays, fraction_by_user: FloatArray) -> DeviceResult:
    power = load_power_w(loads.rated_power_w, fraction_by_user[loads.user])
    return DeviceResult(power, active_status(power))


@dataclass(frozen=True, slots=True)
class _EVState:
    """EV quantities after driving and before dispatch."""

    replay: BoolArray
    dt_s: FloatArray
    connected_s: FloatArray
    charge_kwh: FloatArray
    driven_kwh: FloatArray
    away_now: BoolArray
    departure_s: FloatArray | None = None
    departure_target: FloatArray | None = None


def _ev_state(
    inp: FleetInput, cycle_s: float, zone_names: list[str], user_zone: IndexArray
) -> _EVState:
    evs = inp.evs
    replay = replay_mask(cycle_s, evs.simulated_at_s)
    dt = elapsed_s(cycle_s, evs.simulated_at_s, inp.max_elapsed_s)
    zone_code = user_zone[evs.user]
    controls = inp.ev_controls
    departure_s = departure_target = None
    if controls is None:
        away_now, away_s = commute(zone_names, zone_code, cycle_s, dt)
    else:
        # EVs on the original commute keep its exact arithmetic; other schedules go by rule.
        default = np.asarray(
            [schedule == DEFAULT_SCHEDULE for schedule in controls.schedules], dtype=np.bool_
        )[controls.schedule_id]
        away_now, away_s = commute(zone_names, zone_code, cycle_s, np.where(default, dt, 0.0))
        custom = ~default
        smart = controls.charge_mode == EV_SMART
        if custom.any() or smart.any():
            rule_rows = custom | smart
            r_away, r_away_s, departure_s, departure_target = schedule_state(
                controls.schedules,
                zone_names,
                np.where(rule_rows, zone_code, 0),
                controls.schedule_id,
                cycle_s,
                np.where(rule_rows, dt, 0.0),
                smart,
            )
            away_now = np.where(custom, r_away, away_now)
            away_s = np.where(custom, r_away_s, away_s)
    charge = np.clip(evs.charge_kwh, 0.0, np.maximum(evs.capacity_kwh, 0.0))
    driven = driving_kwh(charge, evs.driving_kwh_per_h, away_s)
    return _EVState(
        replay=replay,
        dt_s=dt,
        connected_s=np.maximum(dt - away_s, 0.0),
        charge_kwh=charge - driven,
        driven_kwh=driven,
        away_now=away_now,
        departure_s=departure_s,
        departure_target=departure_target,
    )


def check_input(inp: FleetInput) -> None:
    """Raise ValueError for device rows that index no user or EVs with an unknown mode."""
    n_users = len(inp.users)
    for kind, user in (
        ("solar", inp.solar.user),
        ("generators", inp.generators.user),
        ("batteries", inp.batteries.user),
        ("evs", inp.evs.user),
        ("air_conditioners", inp.air_conditioners.user),
        ("heaters", inp.heaters.user),
        ("households", inp.households.user if inp.households else np.empty(0, np.int64)),
    ):
        _check_users(kind, user, n_users)
    modes = inp.evs.mode_setting
    if modes.size and (int(modes.min()) < EV_CHARGING or int(modes.max()) > EV_OFFLINE):
        raise ValueError("evs.mode_setting must be EV_CHARGING, EV_DISCHARGING or EV_OFFLINE")


def user_zones(inp: FleetInput) -> tuple[list[str], IndexArray]:
    """The batch's distinct timezone names and each user's index into them."""
    zone_names, user_zone = np.unique(
        np.asarray(inp.users.timezone, dtype=np.str_), return_inverse=True
    )
    return [str(z) for z in zone_names], user_zone.astype(np.int64)


def simulate_fleet(inp: FleetInput) -> FleetResult:
    """Simulate one cycle for a batch of homes; see the module docstring for the dispatch order."""
    cycle_at = require_aware(inp.cycle_at)
    cycle_s = cycle_at.timestamp()
    seconds = int(np.floor(cycle_s))
    users = inp.users
    n_users = len(users)
    pre = inp.precomputed
    if pre is None:
        check_input(inp)
        zones, user_zone_codes = user_zones(inp)
    else:
        zones, user_zone_codes = pre.zone_names, pre.user_zone

    # 1. Producers and loads.
    gens = inp.generators
    if pre is None:
        temperature = outdoor_temperature_c(users.latitude, users.longitude, cycle_s)
        solar = _solar(inp, cycle_s, seconds, temperature)
        generator_power = generator_power_w(gens.key, gens.rated_power_w, seconds)
    else:
        temperature = pre.outdoor_c
        solar = DeviceResult(pre.solar_power_w, active_status(pre.solar_power_w))
        generator_power = pre.generator_power_w
    gen_controls = inp.generator_controls
    gen_state: GeneratorState | None = None
    rated_generator_power = generator_power
    if gen_controls is not None:
        rated_generator_power = generator_power
        generator_power = np.where(gen_controls.mode == GENERATOR_ON, generator_power, 0.0)
    air_conditioners = _loads(inp.air_conditioners, air_conditioner_fraction(temperature))
    heaters = _loads(inp.heaters, heater_fraction(temperature))
    ac_power, ac_rooms = thermostat_loads(
        inp.air_conditioners,
        inp.air_conditioner_thermostats,
        air_conditioners.power_w,
        temperature,
        cycle_s,
        inp.max_elapsed_s,
        cooling=True,
    )
    air_conditioners = DeviceResult(ac_power, active_status(ac_power))
    heater_power, heater_rooms = thermostat_loads(
        inp.heaters,
        inp.heater_thermostats,
        heaters.power_w,
        temperature,
        cycle_s,
        inp.max_elapsed_s,
        cooling=False,
    )
    heaters = DeviceResult(heater_power, active_status(heater_power))
    solar_production = _per_user(inp.solar.user, solar.power_w, n_users)
    production = solar_production + _per_user(gens.user, generator_power, n_users)
    consumption = _per_user(
        inp.air_conditioners.user, air_conditioners.power_w, n_users
    ) + _per_user(inp.heaters.user, heaters.power_w, n_users)

    # 2. EVs: driving while away, then charging at home.
    evs = inp.evs
    ev = _ev_state(inp, cycle_s, zones, user_zone_codes)
    household_power = household_load(inp.households, zones, user_zone_codes, cycle_s)
    households = DeviceResult(household_power, active_status(household_power))
    if inp.households is not None:
        consumption = consumption + _per_user(inp.households.user, household_power, n_users)
    fresh_ev = ~ev.replay
    capacity_wh = np.maximum(evs.capacity_kwh, 0.0) * 1000.0
    charge_wh = ev.charge_kwh * 1000.0
    rate_w = np.maximum(evs.charge_rate_kw, 0.0) * 1000.0
    mode = np.where(ev.away_now, EV_OFFLINE, evs.mode_setting).astype(np.int8)
    charging = fresh_ev & (mode == EV_CHARGING)
    ev_flow = np.where(ev.replay, np.nan_to_num(evs.flow_w), 0.0)
    ev_ctl = inp.ev_controls
    limit_wh = CHARGE_TARGET * capacity_wh if ev_ctl is None else ev_ctl.limit_soc * capacity_wh
    ev_flow[charging] = np.minimum(
        rate_w, energy_limited_power_w(limit_wh - charge_wh, ev.connected_s)
    )[charging]
    solar_ev = np.zeros(0, dtype=np.bool_)
    if ev_ctl is not None:
        ev_flow, solar_ev = _ev_charge_modes(
            inp, ev, ev_flow, charging, capacity_wh, charge_wh, rate_w, limit_wh, cycle_s
        )
    ev_load = _per_user(evs.user, np.maximum(ev_flow, 0.0), n_users)

    # 3. Batteries on the home's surplus or deficit.
    bats = inp.batteries
    bat_replay = replay_mask(cycle_s, bats.simulated_at_s)
    bat_dt = elapsed_s(cycle_s, bats.simulated_at_s, inp.max_elapsed_s)
    level = np.clip(bats.level_wh, 0.0, np.maximum(bats.capacity_wh, 0.0))
    replayed_bat_flow = np.where(bat_replay, np.nan_to_num(bats.flow_w), 0.0)
    balance = consumption + ev_load - production + _per_user(bats.user, replayed_bat_flow, n_users)
    fresh_bat = ~bat_replay
    bat_ctl = inp.battery_controls
    one_way: FloatArray | None = None
    grid_draw = np.zeros(0)
    planned = np.zeros(0)
    if bat_ctl is None:
        max_charge, max_discharge = battery_power_limits_w(
            bats.capacity_wh, bats.c_rate, level, bat_dt
        )
    else:
        one_way = efficiency_split(bat_ctl.efficiency)
        max_charge, max_discharge, grid_draw, planned = _battery_mode_limits(
            bats, bat_ctl, level, bat_dt, one_way, fresh_bat, inp.planned_battery_w
        )
    if gen_controls is not None:
        generator_power, gen_state = _auto_generators(
            inp,
            gen_controls,
            rated_generator_power,
            generator_power,
            consumption
            + ev_load
            - production
            + _per_user(bats.user, grid_draw, n_users)
            + (_per_user(bats.user, planned, n_users) if planned.any() else 0.0)
            - _per_user(bats.user, np.where(fresh_bat, max_discharge, 0.0), n_users),
            cycle_s,
        )
        production = solar_production + _per_user(gens.user, generator_power, n_users)
        balance = (
            consumption + ev_load - production + _per_user(bats.user, replayed_bat_flow, n_users)
        )
    if solar_ev.any():
        # SOLAR EVs share the PV surplus left after the loads and the grid-charging EVs.
        surplus = np.maximum(solar_production - consumption - ev_load, 0.0)
        solar_limit = np.where(
            solar_ev,
            np.minimum(rate_w, energy_limited_power_w(limit_wh - charge_wh, ev.connected_s)),
            0.0,
        )
        solar_w = share_by_limit(surplus, solar_limit, evs.user, n_users)
        ev_flow = np.where(solar_ev, solar_w, ev_flow)
        solar_load = _per_user(evs.user, np.where(solar_ev, solar_w, 0.0), n_users)
        ev_load = ev_load + solar_load
        balance = balance + solar_load
    if bat_ctl is not None and grid_draw.any():
        # CHARGE batteries take any surplus first; the rest of their draw is from the grid,
        # which the self-consumption batteries and V2H do not try to cover.
        draw = _per_user(bats.user, grid_draw, n_users)
        balance = balance + np.minimum(draw, np.maximum(-balance, 0.0))
    if planned.any():
        # Batteries following the plan charge from the surplus first and discharge into the
        # deficit first; what they import or export beyond it is the plan's business, which the
        # self-consumption batteries and V2H neither cover nor absorb.
        plan_draw = _per_user(bats.user, np.maximum(planned, 0.0), n_users)
        plan_supply = _per_user(bats.user, np.minimum(planned, 0.0), n_users)
        balance = balance + np.minimum(plan_draw, np.maximum(-balance, 0.0))
        balance = balance + np.maximum(plan_supply, -np.maximum(balance, 0.0))
    charge_w = share_by_limit(
        np.maximum(-balance, 0.0), np.where(fresh_bat, max_charge, 0.0), bats.user, n_users
    )
    discharge_w = share_by_limit(
        np.maximum(balance, 0.0), np.where(fresh_bat, max_discharge, 0.0), bats.user, n_users
    )
    bat_flow = np.where(bat_replay, replayed_bat_flow, charge_w - discharge_w)
    if bat_ctl is not None and grid_draw.any():
        bat_flow = np.where(bat_replay, bat_flow, bat_flow + grid_draw)
    if planned.any():
        bat_flow = np.where(bat_replay, bat_flow, bat_flow + planned)

    # 4. Vehicle-to-home on what deficit is left.
    v2h = fresh_ev & (mode == EV_DISCHARGING)
    replayed_supply = _per_user(evs.user, np.minimum(ev_flow, 0.0), n_users)
    fresh_bat_flow = np.where(
        bat_replay, 0.0, bat_flow - grid_draw if grid_draw.any() else bat_flow
    )
    if planned.any():
        fresh_bat_flow = np.where(bat_replay, 0.0, fresh_bat_flow - planned)
    deficit = np.maximum(
        balance + _per_user(bats.user, fresh_bat_flow, n_users) + replayed_supply, 0.0
    )
    floor_wh = (
        V2H_FLOOR * capacity_wh
        if ev_ctl is None
        else np.maximum(V2H_FLOOR, ev_ctl.min_soc) * capacity_wh
    )
    v2h_limit = np.minimum(rate_w, energy_limited_power_w(charge_wh - floor_wh, ev.connected_s))
    supply_w = share_by_limit(deficit, np.where(v2h, v2h_limit, 0.0), evs.user, n_users)
    ev_flow[v2h] = -supply_w[v2h]

    # Advance storage levels.
    # Round-trip losses split sqrt(eff) each way: the level moves by the stored energy.
    stored_flow = (
        bat_flow
        if one_way is None
        else np.where(bat_flow > 0.0, bat_flow * one_way, bat_flow / one_way)
    )
    new_level = np.where(
        bat_replay, bats.level_wh, advance_level_wh(level, stored_flow, bat_dt, bats.capacity_wh)
    )
    new_charge_wh = advance_level_wh(charge_wh, ev_flow, ev.connected_s, capacity_wh)
    # Clip again in kWh: the Wh -> kWh round trip can overshoot the capacity by one ulp.
    new_charge = np.where(
        ev.replay,
        evs.charge_kwh,
        np.clip(new_charge_wh / 1000.0, 0.0, np.maximum(evs.capacity_kwh, 0.0)),
    )
    ev_status = storage_status(ev_flow)
    ev_status[mode == EV_OFFLINE] = STATUS_OFFLINE

    batteries = BatteryResult(
        power_w=np.abs(bat_flow),
        status=storage_status(bat_flow),
        level_wh=new_level,
        flow_w=bat_flow,
        simulated_at_s=np.where(bat_replay, bats.simulated_at_s, cycle_s),
        elapsed_s=bat_dt,
    )
    ev_result = EVResult(
        power_w=np.abs(ev_flow),
        status=ev_status,
        charge_kwh=new_charge,
        flow_w=ev_flow,
        mode=mode,
        last_seen_at_s=np.where(fresh_ev & ~ev.away_now, cycle_s, evs.last_seen_at_s),
        simulated_at_s=np.where(ev.replay, evs.simulated_at_s, cycle_s),
        elapsed_s=ev.dt_s,
        connected_s=np.where(ev.replay, 0.0, ev.connected_s),
        driven_kwh=np.where(ev.replay, 0.0, ev.driven_kwh),
    )
    storage_flow = _per_user(bats.user, bat_flow, n_users) + _per_user(evs.user, ev_flow, n_users)
    return FleetResult(
        solar=solar,
        generators=DeviceResult(generator_power, active_status(generator_power)),
        air_conditioners=air_conditioners,
        heaters=heaters,
        batteries=batteries,
        evs=ev_result,
        users=UserResult(
            production_w=production,
            consumption_w=consumption,
            storage_flow_w=storage_flow,
            net_grid_flow_w=consumption + storage_flow - production,
        ),
        generator_state=gen_state
        if gen_state is not None
        else GeneratorState(
            running=generator_power > 0.0,
            run_started_at_s=np.full(generator_power.shape, np.nan),
            simulated_at_s=np.full(generator_power.shape, np.nan),
        ),
        households=households,
        air_conditioner_rooms=ac_rooms,
        heater_rooms=heater_rooms,
    )


def _ev_charge_modes(
    inp: FleetInput,
    ev: _EVState,
    ev_flow: FloatArray,
    charging: BoolArray,
    capacity_wh: FloatArray,
    charge_wh: FloatArray,
    rate_w: FloatArray,
    limit_wh: FloatArray,
    cycle_s: float,
) -> tuple[FloatArray, BoolArray]:
    """Grid charging of CHARGING EVs at home by charge mode (NOW already in `ev_flow`), and
    which EVs charge from the PV surplus (SOLAR, above their minimum)."""
    ctl = inp.ev_controls
    assert ctl is not None
    mode = ctl.charge_mode
    min_wh = np.minimum(ctl.min_soc * capacity_wh, limit_wh)
    below_min = charging & (mode != EV_OFF) & (charge_wh < min_wh)
    to_min = np.minimum(rate_w, energy_limited_power_w(min_wh - charge_wh, ev.connected_s))
    smart = charging & (mode == EV_SMART)
    now_like = charging & (mode == EV_NOW)
    planned = np.zeros(smart.shape, dtype=np.bool_)
    if inp.planned_ev_w is not None and smart.any():
        # SMART EVs of a home with a plan follow it; the others keep the price heuristic.
        planned = smart & ~np.isnan(np.asarray(inp.planned_ev_w, dtype=np.float64)[inp.evs.user])
        smart &= ~planned
    if smart.any():
        priced = np.zeros(smart.shape, dtype=np.bool_)
        prices = inp.prices
        if prices is not None and prices.import_price.size:
            known = np.asarray(~np.isnan(prices.import_price).all(axis=1), dtype=np.bool_)
            priced = known[inp.evs.user]
        # Without a tariff SMART charges like NOW.
        now_like |= smart & ~priced
        smart &= priced
    flow = np.where(now_like, ev_flow, 0.0)
    flow = np.where(charging, flow, ev_flow)
    if smart.any():
        assert inp.prices is not None
        assert ev.departure_s is not None
        assert ev.departure_target is not None
        rows = np.flatnonzero(smart)
        goal_wh = np.minimum(ev.departure_target[rows] * capacity_wh[rows], limit_wh[rows])
        needed = np.maximum(goal_wh - charge_wh[rows], 0.0)
        # A cycle's flow covers the interval ending at it; the interval ending at the departure
        # is already away, so the last usable instant is one interval before it.
        step = np.where(ev.dt_s[rows] > 0.0, ev.dt_s[rows], 0.0)
        departure = np.where(np.isnan(ev.departure_s[rows]), np.inf, ev.departure_s[rows] - step)
        decision = cycle_s - step
        room = smart_room_wh(
            inp.prices.import_price[inp.evs.user[rows]],
            inp.prices.start_s,
            decision,
            departure,
            needed,
            rate_w[rows],
        )
        smart_flow = np.minimum(rate_w[rows], energy_limited_power_w(room, ev.connected_s[rows]))
        flow[rows] = smart_flow
    if planned.any():
        assert inp.planned_ev_w is not None
        # The home's planned EV power shared over its SMART EVs at home in proportion to what
        # each can take (charge rate, room to limit_soc over the time at home): never above it.
        demand = np.maximum(np.nan_to_num(np.asarray(inp.planned_ev_w, dtype=np.float64)), 0.0)
        limit = np.where(
            planned,
            np.minimum(rate_w, energy_limited_power_w(limit_wh - charge_wh, ev.connected_s)),
            0.0,
        )
        shared = share_by_limit(demand, limit, inp.evs.user, demand.shape[0])
        flow = np.where(planned, shared, flow)
    flow = np.where(below_min, np.maximum(flow, to_min), flow)
    solar_ev = charging & (mode == EV_SOLAR) & ~below_min
    return flow, solar_ev


def _battery_mode_limits(
    bats: BatteryArrays,
    ctl: BatteryControls,
    level: FloatArray,
    dt: FloatArray,
    one_way: FloatArray,
    fresh: BoolArray,
    plan_w: FloatArray | None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(max charge W, max discharge W) for the self-consumption dispatch, the grid draw of
    CHARGE batteries and the flow of OPTIMIZED batteries following their home's plan (0 for the
    others); reserve and one-way efficiency applied."""
    capacity = np.maximum(bats.capacity_wh, 0.0)
    rate_w = np.maximum(bats.capacity_wh * bats.c_rate, 0.0)
    reserve_wh = np.clip(ctl.reserve_soc, 0.0, 1.0) * capacity
    max_charge = np.minimum(
        rate_w, energy_limited_power_w((bats.capacity_wh - level) / one_way, dt)
    )
    max_discharge = np.minimum(rate_w, energy_limited_power_w((level - reserve_wh) * one_way, dt))
    charge_mode = fresh & (ctl.mode == BATTERY_CHARGE)
    grid_draw = np.where(charge_mode, max_charge, 0.0)
    idle = (ctl.mode == BATTERY_HOLD) | charge_mode
    planned = np.zeros(level.shape, dtype=np.float64)
    if plan_w is not None:
        follow = _planned_battery_w(bats, ctl, fresh, plan_w, max_charge, max_discharge)
        if follow is not None:
            rows, flow = follow
            planned[rows] = flow
            idle = idle.copy()
            idle[rows] = True
    max_charge = np.where(idle, 0.0, max_charge)
    max_discharge = np.where(idle, 0.0, max_discharge)
    return max_charge, max_discharge, grid_draw, planned


def _planned_battery_w(
    bats: BatteryArrays,
    ctl: BatteryControls,
    fresh: BoolArray,
    plan_w: FloatArray,
    max_charge: FloatArray,
    max_discharge: FloatArray,
) -> tuple[IndexArray, FloatArray] | None:
    """(rows, flow W) of the OPTIMIZED batteries whose home has a plan: the home's planned flow
    split in proportion to their C-rate power, each clamped to what it can charge or discharge
    over the interval (C-rate, room to capacity, energy above its reserve, efficiency). None
    when no battery follows a plan."""
    planned_home = np.asarray(plan_w, dtype=np.float64)[bats.user]
    follow = fresh & (ctl.mode == BATTERY_OPTIMIZED) & ~np.isnan(planned_home)
    if not follow.any():
        return None
    rows = np.flatnonzero(follow)
    user = bats.user[rows]
    power = np.maximum(bats.capacity_wh[rows] * bats.c_rate[rows], 0.0)
    total = np.bincount(user, weights=power, minlength=plan_w.shape[0])[user]
    share = np.divide(power, total, out=np.zeros_like(power), where=total > 0.0)
    target = planned_home[rows] * share
    flow = np.clip(target, -max_discharge[rows], max_charge[rows])
    return rows, np.asarray(flow, dtype=np.float64)


def _auto_generators(
    inp: FleetInput,
    ctl: GeneratorControls,
    rated_power: FloatArray,
    power: FloatArray,
    would_import_w: FloatArray,
    cycle_s: float,
) -> tuple[FloatArray, GeneratorState]:
    """Output of every generator with AUTO decided, and the run state to persist."""
    gens = inp.generators
    auto = ctl.mode == GENERATOR_AUTO
    replay = replay_mask(cycle_s, ctl.simulated_at_s)
    running_before = ~np.isnan(ctl.run_started_at_s)
    running, started = _auto_generator(
        running_before,
        ctl.run_started_at_s,
        would_import_w[gens.user],
        ctl.auto_start_import_w,
        cycle_s,
    )
    running = np.where(replay, running_before, running)
    started = np.where(replay, ctl.run_started_at_s, started)
    on = auto & running
    power = np.where(on, rated_power, power)
    return power, GeneratorState(
        running=np.where(auto, running, ctl.mode == GENERATOR_ON),
        run_started_at_s=np.where(auto, started, np.nan),
        simulated_at_s=np.where(auto & replay, ctl.simulated_at_s, cycle_s),
    )
