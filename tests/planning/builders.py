"""Small planner homes for tests and benchmarks."""

from __future__ import annotations

import uuid

import numpy as np

from app.planning.inputs import DEFAULT_SCHEDULE
from app.planning.model import PlanBattery, PlanEV, PlanHome

SF = (37.77, -122.42)


def reference_home(
    *,
    pv_w: float = 6000.0,
    battery_wh: float = 10_000.0,
    battery_level_wh: float = 5_000.0,
    ev_kwh: float | None = 60.0,
    ev_level_kwh: float = 30.0,
    timezone: str = "America/Los_Angeles",
    heater_w: float = 2000.0,
    air_conditioner_w: float = 2000.0,
    key: int = 1,
) -> PlanHome:
    """PV (6 kWp on 30 m2), a 10 kWh battery (0.5 C), a commuting 60 kWh EV at 7.2 kW."""
    lat, lon = SF
    panels = pv_w > 0
    return PlanHome(
        home_id=uuid.UUID(int=key),
        timezone=timezone,
        latitude=lat,
        longitude=lon,
        panel_key=np.asarray([key] if panels else [], dtype=np.uint64),
        panel_area_m2=np.asarray([pv_w / 200.0] if panels else []),
        panel_efficiency=np.asarray([0.2] if panels else []),
        panel_max_w=np.asarray([pv_w] if panels else []),
        panel_latitude=np.asarray([lat] if panels else []),
        panel_longitude=np.asarray([lon] if panels else []),
        air_conditioner_w=air_conditioner_w,
        heater_w=heater_w,
        batteries=(
            (PlanBattery(battery_wh, battery_wh * 0.5, battery_level_wh),) if battery_wh else ()
        ),
        evs=(
            (
                PlanEV(
                    capacity_wh=ev_kwh * 1000.0,
                    level_wh=ev_level_kwh * 1000.0,
                    rate_w=7200.0,
                    driving_w=2000.0,
                    min_wh=0.0,
                    limit_wh=0.9 * ev_kwh * 1000.0,
                    schedule=DEFAULT_SCHEDULE,
                ),
            )
            if ev_kwh
            else ()
        ),
    )
