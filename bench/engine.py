"""Benchmark the pure simulation engine (`app.simulation.fleet.simulate_fleet`), no I/O.

Builds a mixed fleet of homes spread over cities in many timezones (50 devices per home by
default: solar panels, generators, batteries, EVs, air conditioners, heaters), with storage state as
a live pipeline would hold it (most devices simulated one cycle earlier, a few never, a few being
replayed), then times `simulate_fleet` and prints the best of several runs as one JSON line last.

    uv run python -m bench.engine --devices 500000
    uv run python -m bench.engine --controls mixed   # every device on a non-default control
    uv run python -m bench.engine --controls mixed --physics mixed   # and on its device physics

`--controls`: none (the engine's original path), default (the controls the pipeline passes,
all on their defaults), mixed (EV modes OFF/NOW/SOLAR/SMART with 24 h of prices and a second
schedule across midnight, battery HOLD/CHARGE/OPTIMIZED with reserve and losses, generators
OFF/AUTO).

`--physics`: none (flat panels, the outdoor ramp for air conditioners and heaters, no household
load: the engine's original models), mixed (every panel tilted 15-45 degrees, facing east to west
(azimuth 90-270), with a temperature coefficient; every air conditioner and heater on a
thermostat with its setpoint, hysteresis and room state from the previous cycle, some switched
off; one household load per home, counted as a device).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from app.simulation.control import (
    BATTERY_CHARGE,
    BATTERY_HOLD,
    BATTERY_OPTIMIZED,
    DEFAULT_SCHEDULE,
    EV_OFF,
    EV_SMART,
    EV_SOLAR,
    GENERATOR_AUTO,
    GENERATOR_OFF,
    BatteryControls,
    EVControls,
    GeneratorControls,
    PriceHorizon,
    ScheduleRule,
)
from app.simulation.fleet import (
    EV_CHARGING,
    EV_DISCHARGING,
    EV_OFFLINE,
    BatteryArrays,
    EVArrays,
    FleetInput,
    GeneratorArrays,
    HouseholdArrays,
    LoadArrays,
    OrientationArrays,
    SolarArrays,
    ThermostatArrays,
    UserArrays,
    simulate_fleet,
)

CITIES = (
    ("America/Los_Angeles", 37.77, -122.42),
    ("America/Los_Angeles", 34.05, -118.24),
    ("America/Denver", 39.74, -104.99),
    ("America/Phoenix", 33.45, -112.07),
    ("America/Chicago", 41.88, -87.63),
    ("America/New_York", 40.71, -74.01),
    ("America/Toronto", 43.65, -79.38),
    ("America/Sao_Paulo", -23.55, -46.63),
    ("America/Mexico_City", 19.43, -99.13),
    ("Europe/London", 51.51, -0.13),
    ("Europe/Berlin", 52.52, 13.40),
    ("Europe/Madrid", 40.42, -3.70),
    ("Europe/Oslo", 59.91, 10.75),
    ("Africa/Nairobi", -1.29, 36.82),
    ("Africa/Johannesburg", -26.20, 28.05),
    ("Asia/Kolkata", 19.08, 72.88),
    ("Asia/Tokyo", 35.68, 139.69),
    ("Asia/Singapore", 1.35, 103.82),
    ("Australia/Sydney", -33.87, 151.21),
    ("Pacific/Auckland", -36.85, 174.76),
)
# Devices per home, 50 in all.
MIX = {"solar": 20, "generators": 4, "batteries": 6, "evs": 4, "air_conditioners": 8, "heaters": 8}
CYCLE_AT = datetime(2026, 6, 15, 18, 0, tzinfo=UTC)  # a Monday: day in the Americas, night in Asia


def build_fleet(devices: int, seed: int = 7) -> FleetInput:
    """A FleetInput of about `devices` devices (50 per home)."""
    rng = np.random.default_rng(seed)
    n_users = max(1, devices // sum(MIX.values()))
    city = rng.integers(0, len(CITIES), n_users)
    timezone = [CITIES[c][0] for c in city]
    lat = np.array([CITIES[c][1] for c in city]) + rng.uniform(-1.0, 1.0, n_users)
    lon = np.array([CITIES[c][2] for c in city]) + rng.uniform(-1.0, 1.0, n_users)
    users = UserArrays(timezone=timezone, latitude=lat, longitude=lon)
    cycle_s = CYCLE_AT.timestamp()
    kinds = list(MIX)

    def rows(kind: str) -> tuple[np.ndarray, np.ndarray]:
        """Device keys (unique across kinds, like device ids) and home indices for one kind."""
        user = np.repeat(np.arange(n_users, dtype=np.int64), MIX[kind])
        first = 1 + n_users * sum(MIX[k] for k in kinds[: kinds.index(kind)])
        return np.arange(first, first + user.size, dtype=np.uint64), user

    def state_times(n: int) -> np.ndarray:
        """Mostly one cycle ago; 1 % never simulated, 1 % already at this cycle (replay)."""
        simulated = np.full(n, cycle_s - 60.0)
        pick = rng.random(n)
        simulated[pick < 0.01] = np.nan
        simulated[pick > 0.99] = cycle_s
        return simulated

    key, user = rows("solar")
    area = rng.uniform(1.5, 2.0, key.size)
    efficiency = rng.uniform(0.17, 0.23, key.size)
    solar = SolarArrays(
        key=key,
        user=user,
        panel_area_m2=area,
        efficiency=efficiency,
        max_capacity_w=area * efficiency * 1000.0,
        latitude=lat[user],
        longitude=lon[user],
    )
    key, user = rows("generators")
    generators = GeneratorArrays(key=key, user=user, rated_power_w=rng.uniform(500, 5000, key.size))
    key, user = rows("batteries")
    capacity = rng.choice([5000.0, 10000.0, 13500.0], key.size)
    batteries = BatteryArrays(
        key=key,
        user=user,
        capacity_wh=capacity,
        c_rate=rng.uniform(0.25, 1.0, key.size),
        level_wh=capacity * rng.random(key.size),
        simulated_at_s=state_times(key.size),
        flow_w=np.zeros(key.size),
    )
    key, user = rows("evs")
    ev_capacity = rng.choice([40.0, 60.0, 75.0, 100.0], key.size)
    evs = EVArrays(
        key=key,
        user=user,
        capacity_kwh=ev_capacity,
        charge_kwh=ev_capacity * rng.random(key.size),
        charge_rate_kw=rng.choice([3.7, 7.4, 11.0], key.size),
        driving_kwh_per_h=rng.uniform(5.0, 15.0, key.size),
        mode_setting=rng.choice(
            np.array([EV_CHARGING, EV_DISCHARGING, EV_OFFLINE], dtype=np.int8),
            key.size,
            p=[0.7, 0.2, 0.1],
        ),
        last_seen_at_s=np.full(key.size, cycle_s - 3600.0),
        simulated_at_s=state_times(key.size),
        flow_w=np.zeros(key.size),
    )
    key, user = rows("air_conditioners")
    acs = LoadArrays(key=key, user=user, rated_power_w=rng.uniform(1000, 3500, key.size))
    key, user = rows("heaters")
    heaters = LoadArrays(key=key, user=user, rated_power_w=rng.uniform(1000, 3000, key.size))
    return FleetInput(
        cycle_at=CYCLE_AT,
        users=users,
        solar=solar,
        generators=generators,
        batteries=batteries,
        evs=evs,
        air_conditioners=acs,
        heaters=heaters,
    )


def with_controls(inp: FleetInput, controls: str, seed: int = 11) -> FleetInput:
    """`inp` with control columns: none, all defaults, or every device on a non-default one."""
    if controls == "none":
        return inp
    n_ev, n_bat, n_gen = len(inp.evs), len(inp.batteries), len(inp.generators)
    if controls == "default":
        return replace(
            inp,
            ev_controls=EVControls.defaults(n_ev),
            battery_controls=BatteryControls.defaults(n_bat),
            generator_controls=GeneratorControls.defaults(n_gen),
        )
    rng = np.random.default_rng(seed)
    weekend_nights = (ScheduleRule(frozenset({4, 5}), 22 * 60, 6 * 60, 0.8),)
    return replace(
        inp,
        ev_controls=EVControls(
            charge_mode=rng.choice(np.array([EV_OFF, EV_SOLAR, EV_SMART], dtype=np.int8), n_ev),
            min_soc=np.full(n_ev, 0.1),
            limit_soc=np.full(n_ev, 0.85),
            schedule_id=rng.integers(0, 2, n_ev),
            schedules=(DEFAULT_SCHEDULE, weekend_nights),
        ),
        battery_controls=BatteryControls(
            mode=rng.choice(
                np.array([BATTERY_HOLD, BATTERY_CHARGE, BATTERY_OPTIMIZED], dtype=np.int8), n_bat
            ),
            reserve_soc=np.full(n_bat, 0.2),
            efficiency=np.full(n_bat, 0.9),
        ),
        generator_controls=GeneratorControls(
            mode=rng.choice(np.array([GENERATOR_OFF, GENERATOR_AUTO], dtype=np.int8), n_gen),
            auto_start_import_w=np.full(n_gen, 500.0),
            run_started_at_s=np.full(n_gen, np.nan),
            simulated_at_s=np.full(n_gen, np.nan),
        ),
        prices=PriceHorizon(
            CYCLE_AT.timestamp() - 900.0, rng.uniform(0.05, 0.5, (len(inp.users), 96))
        ),
    )


def _state_times(rng: np.random.Generator, n: int, cycle_s: float) -> np.ndarray:
    """A room's last step: mostly one cycle ago; 1 % never simulated, 1 % at this cycle."""
    simulated = np.full(n, cycle_s - 60.0)
    pick = rng.random(n)
    simulated[pick < 0.01] = np.nan
    simulated[pick > 0.99] = cycle_s
    return simulated


def _thermostats(
    rng: np.random.Generator, n: int, setpoints: tuple[float, float], cycle_s: float
) -> ThermostatArrays:
    """`n` thermostats: setpoints in `setpoints`, 0.5-1.5 degC hysteresis, 10 % switched off,
    rooms somewhere in or just past their band, a third of the devices running."""
    setpoint = rng.uniform(*setpoints, n)
    hysteresis = rng.uniform(0.5, 1.5, n)
    simulated = _state_times(rng, n, cycle_s)
    indoor = setpoint + hysteresis * rng.uniform(-1.2, 1.2, n)
    indoor[np.isnan(simulated)] = np.nan
    return ThermostatArrays(
        switched_on=rng.random(n) >= 0.1,
        setpoint_c=setpoint,
        hysteresis_c=hysteresis,
        indoor_c=indoor,
        running=rng.random(n) < 1.0 / 3.0,
        simulated_at_s=simulated,
    )


def with_physics(inp: FleetInput, physics: str, seed: int = 13) -> FleetInput:
    """`inp` with device physics: none (the original models) or every device on its physics."""
    if physics == "none":
        return inp
    rng = np.random.default_rng(seed)
    cycle_s = inp.cycle_at.timestamp()
    n_solar, n_users = len(inp.solar), len(inp.users)
    kinds = (inp.solar, inp.generators, inp.batteries, inp.evs, inp.air_conditioners, inp.heaters)
    first_key = 1 + sum(len(kind) for kind in kinds)
    return replace(
        inp,
        solar_orientation=OrientationArrays(
            tilt_deg=rng.uniform(15.0, 45.0, n_solar),
            azimuth_deg=rng.uniform(90.0, 270.0, n_solar),
            temperature_coefficient_per_k=rng.uniform(-0.005, -0.003, n_solar),
        ),
        air_conditioner_thermostats=_thermostats(
            rng, len(inp.air_conditioners), (22.0, 26.0), cycle_s
        ),
        heater_thermostats=_thermostats(rng, len(inp.heaters), (18.0, 22.0), cycle_s),
        households=HouseholdArrays(
            key=np.arange(first_key, first_key + n_users, dtype=np.uint64),
            user=np.arange(n_users, dtype=np.int64),
            annual_consumption_kwh=rng.uniform(1500.0, 6000.0, n_users),
        ),
    )


def device_count(inp: FleetInput) -> int:
    """Total devices in a FleetInput (household loads included)."""
    kinds = (inp.solar, inp.generators, inp.batteries, inp.evs, inp.air_conditioners, inp.heaters)
    households = 0 if inp.households is None else len(inp.households)
    return sum(len(kind) for kind in kinds) + households


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--controls", choices=("none", "default", "mixed"), default="none")
    parser.add_argument("--physics", choices=("none", "mixed"), default="none")
    args = parser.parse_args()
    inp = with_physics(with_controls(build_fleet(args.devices), args.controls), args.physics)
    devices = device_count(inp)
    simulate_fleet(inp)  # warm-up: imports, zoneinfo caches
    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        simulate_fleet(inp)
        timings.append(time.perf_counter() - start)
    best = min(timings)
    print(
        json.dumps(
            {
                "bench": "engine",
                "controls": args.controls,
                "physics": args.physics,
                "devices": devices,
                "users": len(inp.users),
                "engine_s": round(best, 4),
                "median_s": round(float(np.median(timings)), 4),
                "devices_per_s": round(devices / best),
            }
        )
    )


if __name__ == "__main__":
    main()
