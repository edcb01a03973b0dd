"""The forecast's error: each slot's forecast against the engine's per-minute cycles of that slot.

For a San Francisco home (6 kWp on 30 m2, a 3,500 kWh household load, and a thermostat room:
a heater at 20 degC in January, an air conditioner at 24 degC in June), `Home.forecast`'s
model (`forecast_home`, from the room's state at the horizon's start) is compared slot by slot
with the engine run as the live cycle runs it: a cycle at every minute of the day, the cycle at t
covering [t - 60 s, t), clouds and household noise drawn per device and cycle, the room stepped
from cycle to cycle. Per device family it reports the mean absolute error per slot (Wh) and that
error relative to the mean energy per slot.

    uv run python -m bench.forecast

Prints one JSON line: for each day, `production_mae_wh`, `production_mae_pct`,
`household_mae_wh`, `household_mae_pct`, `thermostat_mae_wh`, `thermostat_mae_pct`,
`thermostat_day_error_pct` (the day's energy, forecast against engine).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from app.planning.forecast import SLOT_S, Horizon, forecast_home
from app.planning.model import PlanHome, PlanThermostat
from app.simulation.devices import (
    BatteryArrays,
    EVArrays,
    GeneratorArrays,
    LoadArrays,
    SolarArrays,
    UserArrays,
)
from app.simulation.fleet import FleetInput, simulate_fleet
from app.simulation.household import household_power_w
from app.simulation.physics import thermostat_loads
from app.simulation.physics_devices import ThermostatArrays
from app.simulation.weather import outdoor_temperature_c

LAT, LON, TZ = 37.7749, -122.4194, "America/Los_Angeles"
PV_W, HOUSEHOLD_KWH, ROOM_W = 6000.0, 3500.0, 2000.0
DAYS = {
    "2026-01-12": (datetime(2026, 1, 12, 8, 0, tzinfo=UTC), False, 20.0),
    "2026-06-01": (datetime(2026, 6, 1, 7, 0, tzinfo=UTC), True, 24.0),
}


def _home(room: PlanThermostat) -> PlanHome:
    return PlanHome(
        home_id=uuid.UUID(int=1),
        timezone=TZ,
        latitude=LAT,
        longitude=LON,
        panel_key=np.asarray([1], dtype=np.uint64),
        panel_area_m2=np.asarray([PV_W / 200.0]),
        panel_efficiency=np.asarray([0.2]),
        panel_max_w=np.asarray([PV_W]),
        panel_latitude=np.asarray([LAT]),
        panel_longitude=np.asarray([LON]),
        thermostats=(room,),
        household_kwh=HOUSEHOLD_KWH,
    )


def _cycles(horizon: Horizon) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Epoch seconds of the live cycles whose intervals make up each slot, per slot."""
    minutes = np.arange(1, SLOT_S // 60 + 1, dtype=np.float64) * 60.0
    return horizon.starts_s[:, None] + minutes[None, :]


def _production(home: PlanHome, horizon: Horizon) -> np.ndarray[Any, np.dtype[np.float64]]:
    solar = SolarArrays(
        key=home.panel_key,
        user=np.zeros(home.panel_key.size, dtype=np.int64),
        panel_area_m2=home.panel_area_m2,
        efficiency=home.panel_efficiency,
        max_capacity_w=home.panel_max_w,
        latitude=home.panel_latitude,
        longitude=home.panel_longitude,
    )
    users = UserArrays([TZ], np.array([LAT]), np.array([LON]))
    out = np.zeros(horizon.slots)
    for slot, instants in enumerate(_cycles(horizon)):
        for at in instants:
            r = simulate_fleet(
                FleetInput(
                    cycle_at=datetime.fromtimestamp(at, UTC),
                    users=users,
                    solar=solar,
                    generators=GeneratorArrays.empty(),
                    batteries=BatteryArrays.empty(),
                    evs=EVArrays.empty(),
                    air_conditioners=LoadArrays.empty(),
                    heaters=LoadArrays.empty(),
                )
            )
            out[slot] += r.users.production_w[0] * 60.0 / 3600.0
    return out


def _household(horizon: Horizon) -> np.ndarray[Any, np.dtype[np.float64]]:
    key, annual = np.array([11], dtype=np.uint64), np.array([HOUSEHOLD_KWH])
    code = np.zeros(1, dtype=np.int64)
    out = np.zeros(horizon.slots)
    for slot, instants in enumerate(_cycles(horizon)):
        for at in instants:
            out[slot] += household_power_w(key, annual, code, [TZ], float(at))[0] / 60.0
    return out


def _room(horizon: Horizon, room: PlanThermostat) -> np.ndarray[Any, np.dtype[np.float64]]:
    loads = LoadArrays(
        key=np.array([21], np.uint64), user=np.array([0]), rated_power_w=np.array([room.rated_w])
    )
    state = ThermostatArrays(
        switched_on=np.array([True]),
        setpoint_c=np.array([room.setpoint_c]),
        hysteresis_c=np.array([room.hysteresis_c]),
        indoor_c=np.array([room.indoor_c]),
        running=np.array([room.running]),
        simulated_at_s=np.array([float(horizon.start_s)]),
    )
    out = np.zeros(horizon.slots)
    for slot, instants in enumerate(_cycles(horizon)):
        for at in instants:
            outdoor = outdoor_temperature_c(np.array([LAT]), np.array([LON]), float(at))
            power, rooms = thermostat_loads(
                loads, state, np.zeros(1), outdoor, float(at), 86_400.0, cooling=room.cooling
            )
            out[slot] += power[0] / 60.0
            state = replace(
                state,
                indoor_c=rooms.indoor_c,
                running=rooms.running,
                simulated_at_s=rooms.simulated_at_s,
            )
    return out


def _errors(forecast: np.ndarray[Any, Any], engine: np.ndarray[Any, Any]) -> tuple[float, float]:
    mae = float(np.mean(np.abs(forecast - engine)))
    mean = float(np.mean(engine))
    return round(mae, 2), round(100.0 * mae / mean, 2) if mean > 0 else 0.0


def measure_day(start: datetime, cooling: bool, setpoint_c: float) -> dict[str, float]:
    """The three families' errors over the 96 slots from `start`."""
    horizon = Horizon.at(start, 24)
    room = PlanThermostat(ROOM_W, cooling, setpoint_c, 1.0, setpoint_c, False)
    home = _home(room)
    production = forecast_home(home, horizon).production_wh
    household = forecast_home(replace(home, thermostats=()), horizon).consumption_wh
    thermostat = forecast_home(replace(home, household_kwh=0.0), horizon).consumption_wh
    engine_room = _room(horizon, room)
    out: dict[str, float] = {}
    for name, forecast, engine in (
        ("production", production, _production(home, horizon)),
        ("household", household, _household(horizon)),
        ("thermostat", thermostat, engine_room),
    ):
        out[f"{name}_mae_wh"], out[f"{name}_mae_pct"] = _errors(forecast, engine)
    if engine_room.sum() > 0:
        day = 100.0 * (thermostat.sum() - engine_room.sum()) / engine_room.sum()
        out["thermostat_day_error_pct"] = round(float(day), 2)
    return out


def main() -> None:
    print(json.dumps({day: measure_day(*spec) for day, spec in DAYS.items()}))


if __name__ == "__main__":
    main()
