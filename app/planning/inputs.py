"""Device rows -> `PlanHome`: the one place that reads the devices the planner plans for.

The planner reads each device's controls (app/pipeline/controls.py reads the same columns for
the engine): a battery's reserve and round-trip efficiency; an EV's minimum and limit SoC and its
weekly departure rules (each wanting its target at departure). Rows without control columns
(scenario additions) get the defaults, today's behaviour: no reserve, efficiency 1.0, limit
`CHARGE_TARGET` (90 %), minimum 0, and the weekday commute (away 07:00-18:00 Monday-Friday).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import time
from typing import Any

import numpy as np

from app.pipeline.arrays import device_key
from app.pipeline.controls import battery_controls, ev_controls
from app.planning.model import DepartureRule, PlanBattery, PlanEV, PlanHome, PlanThermostat
from app.repositories.fleet import FleetRows
from app.simulation.control import DEFAULT_SCHEDULE as ENGINE_DEFAULT_SCHEDULE
from app.simulation.control import EV_OFF, Schedule
from app.simulation.electric_vehicle import AWAY_FROM, AWAY_UNTIL, AWAY_WEEKDAYS, CHARGE_TARGET

#: The commute every EV follows today, as a departure rule.
DEFAULT_SCHEDULE = (
    DepartureRule(frozenset(AWAY_WEEKDAYS), AWAY_FROM, AWAY_UNTIL, target=CHARGE_TARGET),
)


def _battery(row: Sequence[Any]) -> PlanBattery:
    """(id, home_id, capacity_wh, c_rate, current_level_wh, simulated_at, flow_w, mode,
    reserve_soc_percent, round_trip_efficiency)."""
    capacity = float(row[2])
    controls = battery_controls([row])
    return PlanBattery(
        capacity_wh=capacity,
        power_w=capacity * float(row[3]),
        level_wh=min(max(float(row[4]), 0.0), capacity),
        reserve_wh=float(controls.reserve_soc[0]) * capacity,
        round_trip_efficiency=float(controls.efficiency[0]),
    )


def _rules(schedule: Schedule) -> tuple[DepartureRule, ...]:
    return tuple(
        DepartureRule(
            frozenset(rule.days),
            time(rule.depart_min // 60, rule.depart_min % 60),
            time(rule.return_min // 60, rule.return_min % 60),
            target=rule.target,
        )
        for rule in schedule
    )


def _ev(row: Sequence[Any]) -> PlanEV:
    """(id, home_id, capacity_kwh, charge_kwh, rate_kw, driving_kwh_per_h, mode_setting, ...,
    charge_mode, min_soc_percent, limit_soc_percent, schedule)."""
    capacity = float(row[2]) * 1000.0
    controls = ev_controls([row])
    schedule = controls.schedules[int(controls.schedule_id[0])]
    limit = float(controls.limit_soc[0])
    return PlanEV(
        capacity_wh=capacity,
        level_wh=min(max(float(row[3]) * 1000.0, 0.0), capacity),
        rate_w=float(row[4]) * 1000.0,
        driving_w=float(row[5]) * 1000.0,
        min_wh=min(float(controls.min_soc[0]), limit) * capacity,
        limit_wh=CHARGE_TARGET * capacity if limit == CHARGE_TARGET else limit * capacity,
        schedule=DEFAULT_SCHEDULE if schedule == ENGINE_DEFAULT_SCHEDULE else _rules(schedule),
        chargeable=str(row[6]) != "OFFLINE" and int(controls.charge_mode[0]) != EV_OFF,
    )


def _column(row: Sequence[Any], i: int, default: Any) -> Any:
    return default if len(row) <= i or row[i] is None else row[i]


def _ramp_w(rows: list[Any]) -> float:
    """Rated W of the loads on the outdoor ramp: switched on and without a setpoint (columns
    3 switched_on and 4 setpoint_c of the fleet rows; rows without them are on the ramp)."""
    return sum(
        float(r[2]) for r in rows if _column(r, 4, None) is None and bool(_column(r, 3, True))
    )


def _thermostats(rows: list[Any], cooling: bool) -> list[PlanThermostat]:
    """Loads with a setpoint: (id, home_id, rated_w, switched_on, setpoint_c, hysteresis_c,
    indoor_c, running, simulated_at)."""
    return [
        PlanThermostat(
            rated_w=float(r[2]),
            cooling=cooling,
            setpoint_c=float(r[4]),
            hysteresis_c=float(_column(r, 5, 1.0)),
            indoor_c=float(_column(r, 6, float("nan"))),
            running=bool(_column(r, 7, False)),
            switched_on=bool(_column(r, 3, True)),
        )
        for r in rows
        if _column(r, 4, None) is not None
    ]


def plan_homes(rows: FleetRows) -> list[PlanHome]:
    """One `PlanHome` per home row of `rows`, in the same order."""
    by_home: dict[uuid.UUID, dict[str, list[Any]]] = {
        h[0]: {k: [] for k in ("solar", "gen", "bat", "ev", "ac", "heat", "house")}
        for h in rows.homes
    }
    for kind, kind_rows in (
        ("solar", rows.solar),
        ("gen", rows.generators),
        ("bat", rows.batteries),
        ("ev", rows.evs),
        ("ac", rows.air_conditioners),
        ("heat", rows.heaters),
        ("house", rows.households),
    ):
        for r in kind_rows:
            found = by_home.get(r[1])
            if found is not None:
                found[kind].append(r)
    out: list[PlanHome] = []
    for h in rows.homes:
        d = by_home[h[0]]
        solar = d["solar"]

        def col(i: int, panels: list[Any] = solar) -> np.ndarray[Any, np.dtype[np.float64]]:
            return np.asarray([float(r[i]) for r in panels], dtype=np.float64)

        out.append(
            PlanHome(
                home_id=h[0],
                timezone=str(h[2]),
                latitude=float(h[3]),
                longitude=float(h[4]),
                panel_key=np.asarray([device_key(r[0]) for r in solar], dtype=np.uint64),
                panel_area_m2=col(2),
                panel_efficiency=col(3),
                panel_max_w=col(4),
                panel_latitude=col(5),
                panel_longitude=col(6),
                generator_w=sum(float(r[2]) for r in d["gen"]),
                air_conditioner_w=_ramp_w(d["ac"]),
                heater_w=_ramp_w(d["heat"]),
                thermostats=tuple(_thermostats(d["ac"], True) + _thermostats(d["heat"], False)),
                household_kwh=sum(float(r[2]) for r in d["house"]),
                batteries=tuple(_battery(r) for r in d["bat"]),
                evs=tuple(_ev(r) for r in d["ev"]),
            )
        )
    return out
