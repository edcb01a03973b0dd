"""Device rows -> `PlanHome`: the one place that reads the devices the planner plans for.

Today's devices carry no control fields, so the planner uses today's behaviour as its defaults:
a battery has no reserve and a round-trip efficiency of 1.0; an EV charges up to
`CHARGE_TARGET` (90 %) of its capacity, may go down to empty, and follows the weekday commute of
`app.simulation.electric_vehicle` (away 07:00-18:00 Monday-Friday), wanting 90 % at departure.
When the devices gain those controls, `_battery` and `_ev` read them here and nothing else moves.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np

from app.pipeline.arrays import device_key
from app.planning.model import DepartureRule, PlanBattery, PlanEV, PlanHome
from app.repositories.fleet import FleetRows
from app.simulation.electric_vehicle import AWAY_FROM, AWAY_UNTIL, AWAY_WEEKDAYS, CHARGE_TARGET

#: The commute every EV follows today, as a departure rule.
DEFAULT_SCHEDULE = (
    DepartureRule(frozenset(AWAY_WEEKDAYS), AWAY_FROM, AWAY_UNTIL, target=CHARGE_TARGET),
)


def _battery(row: Sequence[Any]) -> PlanBattery:
    """(id, home_id, capacity_wh, c_rate, current_level_wh, simulated_at, flow_w)."""
    capacity = float(row[2])
    return PlanBattery(
        capacity_wh=capacity,
        power_w=capacity * float(row[3]),
        level_wh=min(max(float(row[4]), 0.0), capacity),
        reserve_wh=0.0,
        round_trip_efficiency=1.0,
    )


def _ev(row: Sequence[Any]) -> PlanEV:
    """(id, home_id, capacity_kwh, charge_kwh, rate_kw, driving_kwh_per_h, mode_setting, ...)."""
    capacity = float(row[2]) * 1000.0
    return PlanEV(
        capacity_wh=capacity,
        level_wh=min(max(float(row[3]) * 1000.0, 0.0), capacity),
        rate_w=float(row[4]) * 1000.0,
        driving_w=float(row[5]) * 1000.0,
        min_wh=0.0,
        limit_wh=CHARGE_TARGET * capacity,
        schedule=DEFAULT_SCHEDULE,
        chargeable=str(row[6]) != "OFFLINE",
    )


def plan_homes(rows: FleetRows) -> list[PlanHome]:
    """One `PlanHome` per home row of `rows`, in the same order."""
    by_home: dict[uuid.UUID, dict[str, list[Any]]] = {
        h[0]: {k: [] for k in ("solar", "gen", "bat", "ev", "ac", "heat")} for h in rows.homes
    }
    for kind, kind_rows in (
        ("solar", rows.solar),
        ("gen", rows.generators),
        ("bat", rows.batteries),
        ("ev", rows.evs),
        ("ac", rows.air_conditioners),
        ("heat", rows.heaters),
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
                air_conditioner_w=sum(float(r[2]) for r in d["ac"]),
                heater_w=sum(float(r[2]) for r in d["heat"]),
                batteries=tuple(_battery(r) for r in d["bat"]),
                evs=tuple(_ev(r) for r in d["ev"]),
            )
        )
    return out
